"""Helpers for the auth tests (a uniquely named module: tests of every service may run in one pytest process)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI

from auth_service.context import AuthContext
from auth_service.db import utcnow
from auth_service.roles.repository import RoleRepository
from auth_service.users.models import User
from auth_service.users.repository import UserRepository
from crm_common.db import transaction

PASSWORD = "correct horse battery staple"


def random_ip() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def client_for(app: FastAPI, ip: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip or random_ip(), 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://auth.test")


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def make_user(
    ctx: AuthContext, roles: Sequence[str] = (), *, email: str | None = None, password: str = PASSWORD
) -> User:
    """A user written straight to the database (tests of the admin API create theirs through the API)."""
    now = utcnow()
    user = User(
        email=email or unique_email(),
        password_hash=await ctx.hasher.hash(password),
        is_active=True,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    async with transaction(ctx.sessions) as session:
        await UserRepository(session).add(user)
        role_rows = await RoleRepository(session).by_names(roles)
        assert len(role_rows) == len(set(roles)), f"unknown roles in {roles}"
        await UserRepository(session).set_roles(user.id, [r.id for r in role_rows])
    return user


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}

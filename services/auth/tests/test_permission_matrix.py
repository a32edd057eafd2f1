"""Every auth route, called by an admin, a read-only user (viewer) and an anonymous client.

A route added to the service without a row here fails ``test_the_matrix_covers_every_route``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from auth_testkit import PASSWORD, bearer, client_for, login, make_user, unique_email
from fastapi import FastAPI
from httpx import AsyncClient

from auth_service.context import AuthContext

ANON, VIEWER, ADMIN = "anonymous", "viewer", "admin"
DEAD_LETTERS = "/api/v1/admin/dead-letters"
NO_SUCH_LETTER = DEAD_LETTERS + "/0-999999999"
NO_SUCH_SERVICE = {"service": "no-such-service"}  # re-drives nothing, whatever the topic holds


@dataclass
class World:
    """What a call needs: the app's context, an admin to prepare targets, and a fresh target user."""

    ctx: AuthContext
    admin: AsyncClient
    admin_headers: dict[str, str]
    target: uuid.UUID

    async def new_role(self) -> str:
        name = f"role-{uuid.uuid4().hex[:8]}"
        response = await self.admin.post(
            "/api/v1/admin/roles", json={"name": name, "permissions": ["products:read"]}, headers=self.admin_headers
        )
        assert response.status_code == 201, response.text
        return name

    async def target_session(self) -> str:
        user = await make_user(self.ctx, ["viewer"])
        self.target = user.id
        tokens = await login(self.admin, user.email)
        sessions = await self.admin.get(f"/api/v1/admin/users/{user.id}/sessions", headers=self.admin_headers)
        assert tokens["access_token"]
        return str(sessions.json()[0]["id"])

    async def reset_token(self) -> str:
        response = await self.admin.post(
            f"/api/v1/admin/users/{self.target}/password-reset", headers=self.admin_headers
        )
        return str(response.json()["reset_token"])


Request = tuple[str, dict[str, Any] | None]
Prepare = Callable[[World], Awaitable[Request]]


def fixed(path: str, body: dict[str, Any] | None = None) -> Prepare:
    async def prepare(world: World) -> Request:
        return path.format(user=world.target), body

    return prepare


async def _login(world: World) -> Request:
    user = await make_user(world.ctx, ["viewer"])
    return "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}


async def _refresh(world: World) -> Request:
    user = await make_user(world.ctx, ["viewer"])
    return "/api/v1/auth/refresh", {"refresh_token": (await login(world.admin, user.email))["refresh_token"]}


async def _reset(world: World) -> Request:
    return "/api/v1/auth/password/reset", {"token": await world.reset_token(), "new_password": "a brand new passphrase"}


async def _role(world: World) -> Request:
    return f"/api/v1/admin/roles/{await world.new_role()}", {"description": "edited"}


async def _one_session(world: World) -> Request:
    sid = await world.target_session()
    return f"/api/v1/admin/users/{world.target}/sessions/{sid}", None


NEW_PASSWORD = {"current_password": PASSWORD, "new_password": "another long passphrase 9"}

# (method, route template, how to build the call, who may call it, status for a caller who may)
MATRIX: list[tuple[str, str, Prepare, str, int]] = [
    ("POST", "/api/v1/auth/login", _login, "public", 200),
    ("POST", "/api/v1/auth/refresh", _refresh, "public", 200),
    ("POST", "/api/v1/auth/password/reset", _reset, "public", 204),
    ("GET", "/api/v1/auth/.well-known/jwks.json", fixed("/api/v1/auth/.well-known/jwks.json"), "public", 200),
    ("GET", "/api/v1/auth/me", fixed("/api/v1/auth/me"), "user", 200),
    ("POST", "/api/v1/auth/logout", fixed("/api/v1/auth/logout"), "user", 204),
    ("POST", "/api/v1/auth/password", fixed("/api/v1/auth/password", NEW_PASSWORD), "user", 204),
    ("GET", "/api/v1/admin/users", fixed("/api/v1/admin/users"), "admin", 200),
    (
        "POST",
        "/api/v1/admin/users",
        fixed("/api/v1/admin/users", {"email": unique_email("new"), "password": "a long new passphrase"}),
        "admin",
        201,
    ),
    ("GET", "/api/v1/admin/users/{user_id}", fixed("/api/v1/admin/users/{user}"), "admin", 200),
    ("PATCH", "/api/v1/admin/users/{user_id}", fixed("/api/v1/admin/users/{user}", {"is_active": True}), "admin", 200),
    ("DELETE", "/api/v1/admin/users/{user_id}", fixed("/api/v1/admin/users/{user}"), "admin", 204),
    (
        "PUT",
        "/api/v1/admin/users/{user_id}/roles",
        fixed("/api/v1/admin/users/{user}/roles", {"roles": ["viewer"]}),
        "admin",
        200,
    ),
    (
        "POST",
        "/api/v1/admin/users/{user_id}/password-reset",
        fixed("/api/v1/admin/users/{user}/password-reset"),
        "admin",
        201,
    ),
    ("GET", "/api/v1/admin/users/{user_id}/sessions", fixed("/api/v1/admin/users/{user}/sessions"), "admin", 200),
    ("DELETE", "/api/v1/admin/users/{user_id}/sessions", fixed("/api/v1/admin/users/{user}/sessions"), "admin", 204),
    ("DELETE", "/api/v1/admin/users/{user_id}/sessions/{session_id}", _one_session, "admin", 204),
    ("GET", "/api/v1/admin/roles", fixed("/api/v1/admin/roles"), "admin", 200),
    (
        "POST",
        "/api/v1/admin/roles",
        fixed("/api/v1/admin/roles", {"name": f"r-{uuid.uuid4().hex[:8]}", "permissions": []}),
        "admin",
        201,
    ),
    ("GET", "/api/v1/admin/roles/{name}", fixed("/api/v1/admin/roles/viewer"), "admin", 200),
    ("PATCH", "/api/v1/admin/roles/{name}", _role, "admin", 200),
    ("DELETE", "/api/v1/admin/roles/{name}", _role, "admin", 204),
    ("GET", "/api/v1/admin/permissions", fixed("/api/v1/admin/permissions"), "admin", 200),
    ("GET", "/api/v1/admin/audit", fixed("/api/v1/admin/audit"), "admin", 200),
    ("GET", "/api/v1/admin/dead-letters", fixed("/api/v1/admin/dead-letters"), "admin", 200),
    ("POST", "/api/v1/admin/dead-letters/redrive", fixed(DEAD_LETTERS + "/redrive", NO_SUCH_SERVICE), "admin", 200),
    ("GET", "/api/v1/admin/dead-letters/{letter_id}", fixed(NO_SUCH_LETTER), "admin", 404),
    ("POST", "/api/v1/admin/dead-letters/{letter_id}/redrive", fixed(NO_SUCH_LETTER + "/redrive"), "admin", 404),
    (
        "POST",
        "/api/v1/admin/dead-letters/{letter_id}/discard",
        fixed(NO_SUCH_LETTER + "/discard", {"reason": "matrix"}),
        "admin",
        404,
    ),
]


def expected(access: str, caller: str, allowed: int) -> int:
    if access == "public":
        return allowed
    if caller == ANON:
        return 401
    if access == "admin" and caller == VIEWER:
        return 403
    return allowed


def test_the_matrix_covers_every_route(app: FastAPI) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    assert routes == {(method, path) for method, path, *_ in MATRIX}


@pytest.fixture
async def world(ctx: AuthContext, app: FastAPI) -> Any:
    async with client_for(app) as admin_client:
        admin = await make_user(ctx, ["admin"])
        headers = bearer(await login(admin_client, admin.email))
        target = await make_user(ctx, ["viewer"])
        yield World(ctx, admin_client, headers, target.id)


@pytest.mark.parametrize("caller", [ANON, VIEWER, ADMIN])
@pytest.mark.parametrize(
    ("method", "route", "prepare", "access", "allowed"), MATRIX, ids=[f"{m} {r}" for m, r, *_ in MATRIX]
)
async def test_route_access(
    world: World,
    app: FastAPI,
    caller: str,
    method: str,
    route: str,
    prepare: Prepare,
    access: str,
    allowed: int,
) -> None:
    path, body = await prepare(world)
    async with client_for(app) as client:
        headers: dict[str, str] = {}
        if caller != ANON:
            user = await make_user(world.ctx, [caller])
            headers = bearer(await login(client, user.email))
        response = await client.request(method, path, json=body, headers=headers)

    assert response.status_code == expected(access, caller, allowed), response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}

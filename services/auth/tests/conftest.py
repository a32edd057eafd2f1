"""Real Postgres (``crm_test``, schema ``auth`` migrated once) and real Redis (db 15) for every test; the shared
fixtures come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from auth_testkit import client_for, login, make_user
from fastapi import FastAPI

from auth_service.app import create_app
from auth_service.context import AuthContext
from auth_service.db import SCHEMA, SERVICE_ROOT
from auth_service.settings import AuthSettings
from crm_testing import ServiceUnderTest

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="auth",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    settings=AuthSettings,
    redis=True,
    # Cheap argon2 for speed; tests/passwords checks the OWASP defaults production uses.
    environment={"AUTH_ARGON2_MEMORY_KIB": "1024", "AUTH_ARGON2_TIME_COST": "1", "LOG_JSON": "false"},
)


@pytest.fixture(scope="session")
async def app(migrated: str, settings: AuthSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def ctx(app: FastAPI) -> AuthContext:
    context: AuthContext = app.state.auth
    return context


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client from its own address, so per-address login throttling never spills between tests."""
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def admin_tokens(ctx: AuthContext, client: httpx.AsyncClient) -> dict[str, Any]:
    user = await make_user(ctx, ["admin"])
    return await login(client, user.email)


@pytest.fixture
async def viewer_tokens(ctx: AuthContext, client: httpx.AsyncClient) -> dict[str, Any]:
    user = await make_user(ctx, ["viewer"])
    return await login(client, user.email)

"""Real Postgres (``crm_test``, schema ``auth`` migrated once) and real Redis (db 15) for every test."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crm_testing import redis_url, test_database_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["DATABASE_URL"] = test_database_url()
os.environ["REDIS_URL"] = redis_url()
os.environ["ENVIRONMENT"] = "test"
os.environ.setdefault("LOG_JSON", "false")
# Cheap argon2 for speed; tests/passwords checks the OWASP defaults production uses.
os.environ["AUTH_ARGON2_MEMORY_KIB"] = "1024"
os.environ["AUTH_ARGON2_TIME_COST"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth_testkit import client_for, login, make_user
from fastapi import FastAPI

from auth_service.app import create_app
from auth_service.context import AuthContext
from auth_service.settings import AuthSettings
from crm_common.migrations import upgrade

SERVICE_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
async def migrated() -> str:
    url = test_database_url()
    await asyncio.to_thread(upgrade, SERVICE_ROOT, url)
    return url


@pytest.fixture(scope="session")
def settings(migrated: str) -> AuthSettings:
    return AuthSettings()


@pytest.fixture(scope="session")
async def app(settings: AuthSettings) -> AsyncIterator[FastAPI]:
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

"""Analytics tests run against the real Postgres (database ``crm_test``), Kafka and Redis, with per-run topics."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from crm_common.testing import redis_url, test_database_url, unique_topic_prefix

# Before anything reads settings or topic names: isolate this run's topics and use the test database.
if not os.environ.get("KAFKA_TOPIC_PREFIX", "").startswith("test-"):
    os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["DATABASE_URL"] = test_database_url()
os.environ["REDIS_URL"] = redis_url()
os.environ.setdefault("ENVIRONMENT", "test")
sys.path.insert(0, str(Path(__file__).parent))

import httpx
import pytest
from analytics_testkit import TokenMint, truncate
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.app import create_app
from analytics_service.cache import ReportCache
from analytics_service.consumers import projection_handlers
from analytics_service.db import SCHEMA, SERVICE_ROOT
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.envelope import EventEnvelope
from crm_common.migrations import upgrade
from crm_common.security.revocation import session_check


@pytest.fixture(scope="session")
def database_url() -> str:
    return test_database_url()


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)


@pytest.fixture(scope="session")
def settings() -> AnalyticsSettings:
    return AnalyticsSettings(run_revenue_drop_checker=False, log_json=False)


@pytest.fixture(scope="session")
async def sessions(migrated: None, database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, SCHEMA, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def clean(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Empty every analytics table before and after the test."""
    await truncate(sessions)
    yield
    await truncate(sessions)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose transaction is rolled back after the test, so nothing it writes survives."""
    async with sessions() as s:
        await s.begin()
        try:
            yield s
        finally:
            await s.rollback()


@pytest.fixture
def apply(settings: AnalyticsSettings):  # type: ignore[no-untyped-def]
    """Apply events through the same handlers the consumer and the rebuild use."""
    handlers = projection_handlers(settings)

    async def run(session: AsyncSession, *events: EventEnvelope) -> None:
        for event in events:
            await handlers[event.event_type](session, event)

    return run


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    yield client
    await client.aclose()


@pytest.fixture
async def api(
    sessions: async_sessionmaker[AsyncSession], settings: AnalyticsSettings, mint: TokenMint, redis: Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API in-process over committed data, without consumers; the caller holds `analytics:read`."""
    app = create_app(settings, token_verifier=mint.verifier)
    app.state.settings = settings
    app.state.sessions = sessions
    # A prefix per test: checkpoint versions restart after each truncate, so two tests can reach the same token.
    app.state.report_cache = ReportCache(redis, settings.cache_ttl, prefix=f"analytics-test:{uuid.uuid4().hex}")
    app.state.token_verifier = mint.verifier
    app.state.session_check = session_check(redis, settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://analytics", headers=mint.headers("analytics:read"), timeout=30
    ) as client:
        yield client


@pytest.fixture
def seed(sessions: async_sessionmaker[AsyncSession], apply, clean):  # type: ignore[no-untyped-def]
    """Commit events through the projection handlers (tables are emptied before and after the test)."""

    async def run(*events: EventEnvelope) -> None:
        async with sessions() as s, s.begin():
            await apply(s, *events)

    return run

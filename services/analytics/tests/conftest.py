"""Analytics tests run against the real Postgres (database ``crm_test``), Kafka and Redis, with per-run topics; the
shared fixtures come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.app import create_app
from analytics_service.cache import ReportCache
from analytics_service.consumers import projection_handlers
from analytics_service.db import SCHEMA, SERVICE_ROOT, load_metadata
from analytics_service.settings import AnalyticsSettings
from crm_common.events.envelope import EventEnvelope
from crm_common.resp import RespClient
from crm_common.security.revocation import session_check
from crm_testing import ServiceUnderTest, TokenMint, redis_url

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="analytics",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    settings=partial(AnalyticsSettings, run_revenue_drop_checker=False, log_json=False),
    metadata=load_metadata,
    pool_size=4,
    redis=True,
)


@pytest.fixture
def apply(settings: AnalyticsSettings):  # type: ignore[no-untyped-def]
    """Apply events through the same handlers the consumer and the rebuild use."""
    handlers = projection_handlers(settings)

    async def run(session: AsyncSession, *events: EventEnvelope) -> None:
        for event in events:
            await handlers[event.event_type](session, event)

    return run


@pytest.fixture
async def resp() -> AsyncIterator[RespClient]:
    """The lean Redis client the report cache uses (crm_common.resp), on the tests' Redis database."""
    client = RespClient(redis_url())
    yield client
    await client.close()


@pytest.fixture
async def api(
    sessions: async_sessionmaker[AsyncSession],
    settings: AnalyticsSettings,
    mint: TokenMint,
    redis: Redis,
    resp: RespClient,
) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API in-process over committed data, without consumers; the caller holds `analytics:read`."""
    app = create_app(settings, token_verifier=mint.verifier)
    app.state.settings = settings
    app.state.sessions = sessions
    # A prefix per test: checkpoint versions restart after each truncate, so two tests can reach the same token.
    app.state.report_cache = ReportCache(resp, settings.cache_ttl, prefix=f"analytics-test:{uuid.uuid4().hex}")
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

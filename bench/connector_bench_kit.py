"""What the connector benchmarks share: a SyncService on the test database and Kafka, and a run counted by the
simulator (``GET /__sim/stats``). Import it after setting ``KAFKA_TOPIC_PREFIX`` and the tests directory on sys.path
(see connector_sync.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from connector_testkit import connector_settings, register
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import create_engine, session_factory
from crm_common.messaging.broker import make_broker
from crm_common.messaging.publisher import EventPublisher
from crm_integration.sinks import KafkaSink
from crm_testing import kafka_servers, test_database_url
from moysklad_connector.sync.service import SyncService
from moysklad_connector.tables import SyncJob
from moysklad_simulator.testing import RunningSimulator


@asynccontextmanager
async def connector_on(
    sim: RunningSimulator, weight: int
) -> AsyncIterator[tuple[SyncService, async_sessionmaker[AsyncSession], str]]:
    """A sync service publishing to Kafka, and an integration registered for ``sim``."""
    settings = connector_settings(request_weight=weight, backoff_base_seconds=0.5, backoff_max_seconds=30)
    engine = create_engine(test_database_url(), "moysklad", pool_size=5)
    broker = make_broker(kafka_servers(), f"bench-{uuid.uuid4().hex[:6]}")
    await broker.start()
    try:
        sessions = session_factory(engine)
        integration = await register(sessions, settings, sim)
        yield SyncService(settings, engine, sessions, KafkaSink(EventPublisher(broker))), sessions, integration
    finally:
        await broker.stop()
        await engine.dispose()


async def counted_run(
    sim: RunningSimulator, service: SyncService, integration: str, mode: str
) -> tuple[SyncJob, float, dict[str, Any]]:
    """Run one sync; returns its job, its seconds and what the simulator counted for it alone."""
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/__sim") as sim_admin:
        (await sim_admin.delete("/stats")).raise_for_status()
        started = time.monotonic()
        job = await service.run(integration, mode, "cli")
        seconds = time.monotonic() - started
        stats: dict[str, Any] = (await sim_admin.get("/stats")).json()
    return job, seconds, stats

"""Fixtures over the real infrastructure: Postgres (schema `moysklad`, real migrations), Kafka, the simulator. The
shared ones come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connector_testkit import ADMIN_MINT, connector_settings, register, sim_settings
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.messaging.publisher import EventPublisher
from crm_integration.sinks import KafkaSink
from crm_testing import ServiceUnderTest
from crm_testing import serve_in_thread as serve_app
from moysklad_connector.app import create_app
from moysklad_connector.db import SCHEMA, load_metadata
from moysklad_connector.main import SERVICE_ROOT
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="moysklad-connector",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    settings=connector_settings,
    metadata=load_metadata,
    pool_size=5,
)


@pytest.fixture(scope="session")
def sink(broker: KafkaBroker) -> KafkaSink:
    return KafkaSink(EventPublisher(broker))


@pytest.fixture
def service(
    settings: ConnectorSettings, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], sink: KafkaSink
) -> SyncService:
    return SyncService(settings, engine, sessions, sink)


_seeds = iter(range(1000, 100000))


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A fresh simulator per test; each has its own seed, hence its own MoySklad account id."""
    with serve_in_thread(sim_settings(next(_seeds))) as running:
        yield running


@pytest.fixture
async def integration(
    sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings, sim: RunningSimulator
) -> str:
    return await register(sessions, settings, sim)


@pytest.fixture(scope="module")
def api(migrated: str) -> Iterator[str]:
    """The connector's HTTP API on a real socket, trusting ``ADMIN_MINT``'s tokens (scheduler off)."""
    app = create_app(connector_settings(create_topics=False), token_verifier=ADMIN_MINT.verifier)
    with serve_app(app) as url:
        yield url

"""Fixtures over the real infrastructure: Postgres (schema `bitrix24`, real migrations), Kafka, the simulator. The
shared ones come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from b24_testkit import ADMIN_MINT, connector_settings, portal, register
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bitrix24_connector.app import create_app
from bitrix24_connector.db import SCHEMA, load_metadata
from bitrix24_connector.main import SERVICE_ROOT
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.service import SyncService
from bitrix24_simulator.testing import RunningSimulator
from crm_common.messaging.publisher import EventPublisher
from crm_integration.sinks import KafkaSink
from crm_testing import ServiceUnderTest
from crm_testing import serve_in_thread as serve_app

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="bitrix24-connector",
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


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A tiny portal of its own, limits as documented (the syncs here stay under the burst)."""
    with portal() as running:
        yield running


@pytest.fixture
async def integration(
    sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings, sim: RunningSimulator
) -> str:
    return await register(sessions, settings, sim)


@pytest.fixture(scope="module")
def api(migrated: str, topics: None) -> Iterator[str]:
    """The connector's HTTP API on a real socket, trusting ``ADMIN_MINT``'s tokens (scheduler off)."""
    app = create_app(connector_settings(create_topics=False), token_verifier=ADMIN_MINT.verifier)
    with serve_app(app) as url:
        yield url

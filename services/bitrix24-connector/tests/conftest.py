"""Fixtures over the real infrastructure: Postgres (schema `bitrix24`, real migrations), Kafka, the simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from crm_testing import kafka_servers, test_database_url, unique_topic_prefix

if not os.environ.get("KAFKA_TOPIC_PREFIX", "").startswith("test-"):
    os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["DATABASE_URL"] = test_database_url()
os.environ.setdefault("ENVIRONMENT", "test")
sys.path.insert(0, str(Path(__file__).parent))

import pytest
from b24_testkit import ADMIN_MINT, connector_settings, portal, register
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bitrix24_connector.app import create_app
from bitrix24_connector.db import SCHEMA
from bitrix24_connector.main import SERVICE_ROOT
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.service import SyncService
from bitrix24_simulator.testing import RunningSimulator
from crm_common.db import create_engine, session_factory
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.publisher import EventPublisher
from crm_common.migrations import upgrade
from crm_integration.sinks import KafkaSink
from crm_testing import serve_in_thread as serve_app


@pytest.fixture(scope="session")
def settings() -> ConnectorSettings:
    return connector_settings()


@pytest.fixture(scope="session")
async def migrated() -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())


@pytest.fixture(scope="session")
async def engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), SCHEMA, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture(scope="session")
async def topics() -> None:
    await ensure_topics(kafka_servers())


@pytest.fixture(scope="session")
async def broker(topics: None) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(kafka_servers(), "bitrix24-connector-tests")
    await broker.start()
    yield broker
    await broker.stop()


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
def api(migrated: None, topics: None) -> Iterator[str]:
    """The connector's HTTP API on a real socket, trusting ``ADMIN_MINT``'s tokens (scheduler off)."""
    app = create_app(connector_settings(create_topics=False), token_verifier=ADMIN_MINT.verifier)
    with serve_app(app) as url:
        yield url

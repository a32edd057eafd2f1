"""The shared fixtures, built for one ``ServiceUnderTest`` (docs/architecture.md, "Tests").

Built per descriptor rather than declared once in the plugin, so each service's fixtures are its conftest's own:
scoped to that directory, and two services' suites in one pytest process each get theirs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import create_engine, session_factory
from crm_common.events.topics import TOPICS
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.migrations import upgrade
from crm_testing.db import truncate
from crm_testing.infra import kafka_servers, redis_url, serve_in_thread, test_database_url
from crm_testing.service import ServiceUnderTest
from crm_testing.tokens import TokenMint


def database_fixtures(service: ServiceUnderTest) -> dict[str, Any]:
    """The test database, the service's schema migrated once, sessions, and emptying its tables."""

    @pytest.fixture(scope="session")
    def database_url() -> str:
        return test_database_url()

    @pytest.fixture(scope="session")
    async def migrated(database_url: str) -> str:
        """The service's real migrations, upgraded to head once per run; the database URL."""
        await asyncio.to_thread(upgrade, service.root, database_url)
        return database_url

    @pytest.fixture(scope="session")
    async def engine(migrated: str) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(migrated, service.schema, pool_size=service.pool_size)
        yield engine
        await engine.dispose()

    @pytest.fixture(scope="session")
    def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return session_factory(engine)

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
    async def clean(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
        """The service's tables emptied before and after the test (but ``keep_tables``)."""
        if service.metadata is None:
            raise pytest.UsageError(
                f"ServiceUnderTest {service.name!r} names no metadata: nothing for `clean` to empty"
            )
        metadata = service.metadata()
        await truncate(sessions, service.schema, metadata, service.keep_tables)
        yield
        await truncate(sessions, service.schema, metadata, service.keep_tables)

    return {f.__name__: f for f in (database_url, migrated, engine, sessions, session, clean)}


def messaging_fixtures(service: ServiceUnderTest) -> dict[str, Any]:
    """The service's topics on the real Kafka, its consumer group's name, a producer and a broker."""

    @pytest.fixture(scope="session")
    async def topics() -> None:
        await ensure_topics(kafka_servers(), TOPICS if service.topics is None else service.topics)

    @pytest.fixture(scope="session")
    def consumer_group() -> str:
        return os.environ["KAFKA_TOPIC_PREFIX"] + service.name

    @pytest.fixture(scope="session")
    async def producer(topics: None) -> AsyncIterator[AIOKafkaProducer]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all", enable_idempotence=True)
        await producer.start()
        yield producer
        await producer.stop()

    @pytest.fixture(scope="session")
    async def broker(topics: None) -> AsyncIterator[KafkaBroker]:
        broker = make_broker(kafka_servers(), f"{service.name}-tests")
        await broker.start()
        yield broker
        await broker.stop()

    @pytest.fixture(scope="session")
    async def redis() -> AsyncIterator[Redis]:
        client = Redis.from_url(redis_url())
        yield client
        await client.aclose()

    return {f.__name__: f for f in (topics, consumer_group, producer, broker, redis)}


def app_fixtures(service: ServiceUnderTest) -> dict[str, Any]:
    """Settings, a token mint, and the service itself on a real socket: API only, or with its consumers."""

    @pytest.fixture(scope="session")
    def settings() -> Any:
        return service.settings()

    @pytest.fixture(scope="session")
    def mint() -> TokenMint:
        return TokenMint()

    fixtures: dict[str, Any] = {"settings": settings, "mint": mint}
    if service.app is None:
        return fixtures
    create_app = service.app

    @pytest.fixture(scope="session")
    def api_url(migrated: str, mint: TokenMint) -> Iterator[str]:
        """The HTTP API on a real socket, without consumers, trusting ``mint``'s tokens."""
        with serve_in_thread(create_app(service.settings(consume_events=False), token_verifier=mint.verifier)) as url:
            yield url

    @pytest.fixture(scope="session")
    def pipeline_url(migrated: str, topics: None, mint: TokenMint) -> Iterator[str]:
        """The whole service: HTTP API plus Kafka consumers."""
        with serve_in_thread(create_app(service.settings(consume_events=True), token_verifier=mint.verifier)) as url:
            yield url

    @pytest.fixture
    async def client(api_url: str, mint: TokenMint) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the API holding the descriptor's ``permissions``."""
        async with httpx.AsyncClient(base_url=api_url, headers=mint.headers(*service.permissions), timeout=10) as c:
            yield c

    return fixtures | {"api_url": api_url, "pipeline_url": pipeline_url, "client": client}


def service_fixtures(service: ServiceUnderTest) -> dict[str, Any]:
    return database_fixtures(service) | messaging_fixtures(service) | app_fixtures(service)

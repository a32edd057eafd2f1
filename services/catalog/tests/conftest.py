"""Catalog tests run against the real Postgres (database ``crm_test``) and Kafka, with per-run topic names."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from crm_common.testing import test_database_url, unique_topic_prefix

# Before anything reads settings or topic names: isolate this run's topics and use the test database.
if not os.environ.get("KAFKA_TOPIC_PREFIX", "").startswith("test-"):
    os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["DATABASE_URL"] = test_database_url()
os.environ.setdefault("ENVIRONMENT", "test")
sys.path.insert(0, str(Path(__file__).parent))

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from catalog_testkit import TokenMint
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.app import create_app
from catalog_service.db import SCHEMA, SERVICE_ROOT, load_metadata
from catalog_service.settings import CatalogSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.topics import DEAD_LETTER, FOLDERS, PRODUCTS, VARIANTS
from crm_common.messaging.broker import ensure_topics
from crm_common.migrations import upgrade
from crm_common.testing import kafka_servers, serve_in_thread


@pytest.fixture(scope="session")
def database_url() -> str:
    return test_database_url()


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)


@pytest.fixture(scope="session")
async def sessions(migrated: None, database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, SCHEMA, pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def clean(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Empty the catalog tables (not the inbox: the running consumer's dedup state stays valid)."""
    tables = [t.name for t in load_metadata().sorted_tables if t.name != "processed_events"]
    async with sessions() as session, session.begin():
        await session.execute(text(f"TRUNCATE {', '.join(f'{SCHEMA}.{name}' for name in tables)}"))


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
def api_url(migrated: None, mint: TokenMint) -> Iterator[str]:
    """The catalog HTTP API on a real socket, without consumers."""
    settings = CatalogSettings(consume_events=False)
    with serve_in_thread(create_app(settings, token_verifier=mint.verifier)) as url:
        yield url


@pytest.fixture
async def client(api_url: str, mint: TokenMint) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API holding ``products:read``."""
    async with httpx.AsyncClient(base_url=api_url, headers=mint.headers("products:read"), timeout=10) as c:
        yield c


@pytest.fixture(scope="session")
async def topics() -> None:
    await ensure_topics(kafka_servers(), [FOLDERS, PRODUCTS, VARIANTS, DEAD_LETTER])


@pytest.fixture(scope="session")
def consumer_group() -> str:
    return os.environ["KAFKA_TOPIC_PREFIX"] + "catalog"


@pytest.fixture(scope="session")
def pipeline_url(migrated: None, topics: None, mint: TokenMint) -> Iterator[str]:
    """The full catalog service: HTTP API plus Kafka consumers."""
    settings = CatalogSettings(consume_events=True)
    with serve_in_thread(create_app(settings, token_verifier=mint.verifier)) as url:
        yield url


@pytest.fixture(scope="session")
async def producer(topics: None) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all", enable_idempotence=True)
    await producer.start()
    yield producer
    await producer.stop()

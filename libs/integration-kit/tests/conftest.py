"""The kit's tests: pure logic, a scripted HTTP transport, and the tables in a throwaway schema of the test database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from crm_testing import test_database_url, unique_topic_prefix

os.environ.setdefault("KAFKA_TOPIC_PREFIX", unique_topic_prefix())

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import NAMING_CONVENTION, create_engine, session_factory
from crm_integration.jobs import SyncTables
from crm_integration.migrations import create_kit_tables, drop_kit_tables
from crm_integration.tables import (
    IntegrationRow,
    PublishedEntityRow,
    SkippedObjectRow,
    SyncCursorRow,
    SyncJobRow,
    WebhookReceiptRow,
)

SCHEMA = "integration_kit_test"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)


class Job(SyncJobRow, Base):
    pass


class Cursor(SyncCursorRow, Base):
    pass


class Skipped(SkippedObjectRow, Base):
    pass


class Published(PublishedEntityRow, Base):
    pass


class Integration(IntegrationRow, Base):
    pass


class Receipt(WebhookReceiptRow, Base):
    pass


TABLES = SyncTables(job=Job, cursor=Cursor, skipped=Skipped, published=Published)


@dataclass(frozen=True)
class KitTables:
    """The test schema's table classes, for tests (no test module imports conftest)."""

    tables: SyncTables[Job, Skipped]
    job: type[Job]
    integration: type[Integration]
    receipt: type[Receipt]


@pytest.fixture(scope="session")
def kit() -> KitTables:
    return KitTables(TABLES, Job, Integration, Receipt)


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    """The kit's tables, created by its migration helper in a schema of their own (dropped afterwards)."""
    engine = create_engine(test_database_url(), SCHEMA, pool_size=3)
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await conn.run_sync(create_kit_tables, Base.metadata)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(drop_kit_tables, Base.metadata)
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)

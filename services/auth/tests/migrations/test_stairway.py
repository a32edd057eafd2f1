"""Stairway: upgrade to head, downgrade to base, upgrade again, in a throw-away database; models match migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from auth_service.bootstrap import require_migrated
from auth_service.db import SCHEMA
from auth_service.models import Base
from crm_common.db import async_url, create_engine
from crm_common.errors import InfrastructureMissing
from crm_common.migrations import downgrade, upgrade
from crm_testing import test_database_url

SERVICE_ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "crm_test_auth_stairway"


@pytest.fixture
async def scratch_database() -> AsyncIterator[str]:
    admin = create_async_engine(async_url(test_database_url()), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
        yield make_url(test_database_url()).set(database=DB_NAME).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "version_table_schema": SCHEMA,
            "include_object": lambda obj, name, type_, reflected, compare_to: type_ != "table" or obj.schema == SCHEMA,
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("select table_name from information_schema.tables where table_schema = :s"), {"s": SCHEMA}
            )
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def _assert_start_up_refused(url: str) -> None:
    engine = create_engine(url, SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn, AsyncSession(bind=conn) as session:
            with pytest.raises(InfrastructureMissing, match="crm-auth migrate"):
                await require_migrated(session, url)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_models_match(scratch_database: str) -> None:
    url = scratch_database
    await _assert_start_up_refused(url)
    await asyncio.to_thread(upgrade, SERVICE_ROOT, url)
    assert {"users", "roles", "permissions", "sessions", "refresh_tokens", "signing_keys"} <= await _tables(url)

    await asyncio.to_thread(downgrade, SERVICE_ROOT, url)
    assert await _tables(url) == {"alembic_version"}

    await asyncio.to_thread(upgrade, SERVICE_ROOT, url)
    # A plain engine: with ``auth`` on the search_path Postgres reflects foreign keys without their schema and
    # autogenerate reports every one of them as changed.
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            roles = (await conn.execute(text("select name from auth.roles order by name"))).scalars().all()
    finally:
        await engine.dispose()
    assert diff == []
    assert roles == ["admin", "manager", "viewer"]

"""The connector's Alembic tree: a stairway (up, down, up) and migrations that match the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from crm_common.db import create_engine
from crm_common.migrations import downgrade, upgrade
from crm_testing import test_database_url
from moysklad_connector.db import SCHEMA, load_metadata
from moysklad_connector.main import SERVICE_ROOT


async def _tables() -> set[str]:
    engine = create_engine(test_database_url(), SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names(schema=SCHEMA)))
    finally:
        await engine.dispose()


async def test_stairway_upgrade_downgrade_upgrade(migrated: None) -> None:
    await asyncio.to_thread(downgrade, SERVICE_ROOT, test_database_url(), "base")
    assert await _tables() <= {"alembic_version"}
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())
    assert {"sync_jobs", "sync_cursors", "dead_letters", "integrations"} <= await _tables()


async def test_migrations_match_the_models(migrated: None) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    type_ != "table" or obj.schema == SCHEMA
                ),
                "compare_type": True,
            },
        )
        return list(compare_metadata(context, load_metadata()))

    engine = create_engine(test_database_url(), SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engine.dispose()

"""Alembic helpers: each service migrates only its own schema and keeps its version table there.

A service's ``migrations/env.py`` is three lines: import its metadata and settings, then call
``run_migrations(metadata, schema, url)`` (pattern from Netflix/dispatch ``database/revisions/tenant/env.py``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from crm_common.db import async_url, create_engine


def _include_object(schema: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return bool(obj.schema == schema)
        return True

    return include


def _do_run(connection: Connection, metadata: MetaData, schema: str) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_object=_include_object(schema),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(metadata: MetaData, schema: str, url: str) -> None:
    engine = create_engine(url, schema, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_do_run, metadata, schema)
    finally:
        await engine.dispose()


def run_migrations(metadata: MetaData, schema: str, url: str) -> None:
    """Entry point for a service's ``env.py``; online only, through asyncpg."""
    url = context.config.attributes.get("database_url") or url
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _do_run(connection, metadata, schema)
        return
    asyncio.run(_run_online(metadata, schema, async_url(url)))


def alembic_config(service_root: Path, database_url: str) -> Config:
    """An Alembic config for the service whose ``alembic.ini`` sits in ``service_root``."""
    cfg = Config(str(service_root / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_root / "migrations"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(service_root: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_root, database_url), revision)


def downgrade(service_root: Path, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service_root, database_url), revision)

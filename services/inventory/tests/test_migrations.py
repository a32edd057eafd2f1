"""The inventory's Alembic tree: a stairway (up, down, up) and migrations that match the models."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from crm_common.db import create_engine
from crm_common.migrations import downgrade, upgrade
from inventory_service.db import SCHEMA, SERVICE_ROOT, load_metadata


async def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url, SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names(schema=SCHEMA)))
    finally:
        await engine.dispose()


async def test_stairway_upgrade_downgrade_upgrade(migrated: None, database_url: str) -> None:
    await asyncio.to_thread(downgrade, SERVICE_ROOT, database_url, "base")
    assert await _tables(database_url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)
    assert {
        "stock",
        "stores",
        "assortment",
        "folders",
        "thresholds",
        "low_stock_state",
        "processed_events",
        "outbox",
    } <= await _tables(database_url)


async def test_migrations_match_the_models(migrated: None, database_url: str) -> None:
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

    engine = create_engine(database_url, SCHEMA, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_stock_rows_stored_before_0002_get_their_catalog_columns(migrated: None, database_url: str) -> None:
    """The columns the stock list now reads from the stock row are filled from the assortment, as the consumer
    copies them (StockRepository.copy_catalog): the item's, else its product's; deleted if either is."""
    await asyncio.to_thread(downgrade, SERVICE_ROOT, database_url, "0001")
    engine = create_engine(database_url, SCHEMA, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO inventory.assortment (id, source, account_id, kind, product_id, name, code, article,"
                    " folder_id, minimum_stock, updated_at, source_version, deleted_at) VALUES"
                    " ('m-p', 'test', 'a', 'product', 'm-p', 'Чай', 'C1', 'A1', 'f1', 5, now(), 1, NULL),"
                    " ('m-v', 'test', 'a', 'variant', 'm-p', 'Чай (зелёный)', NULL, NULL, NULL, NULL, now(), 1, NULL),"
                    " ('m-d', 'test', 'a', 'product', 'm-d', 'Кофе', NULL, NULL, NULL, NULL, now(), 1, now())"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO inventory.stock (id, source, account_id, assortment_id, assortment_kind, product_id,"
                    " store_id, stock, reserve, in_transit, available, as_of, source_version)"
                    " SELECT i || '@s', 'test', 'a', i, 'product', p, 's', 1, 0, 0, 1, now(), 1"
                    " FROM (VALUES ('m-p', 'm-p'), ('m-v', 'm-p'), ('m-d', 'm-d'), ('m-x', 'm-x')) AS t (i, p)"
                )
            )
        await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)
        async with engine.begin() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, name, code, article, folder_id, catalog_minimum, catalog_deleted FROM inventory.stock"
                    " WHERE id LIKE 'm-%' ORDER BY id"
                )
            )
            copied = [tuple(row) for row in rows]
            await conn.execute(text("DELETE FROM inventory.stock WHERE id LIKE 'm-%'"))
            await conn.execute(text("DELETE FROM inventory.assortment WHERE id LIKE 'm-%'"))
    finally:
        await engine.dispose()
    assert copied == [
        ("m-d@s", "Кофе", None, None, None, None, True),
        ("m-p@s", "Чай", "C1", "A1", "f1", Decimal(5), False),
        ("m-v@s", "Чай (зелёный)", "C1", "A1", "f1", Decimal(5), False),
        ("m-x@s", None, None, None, None, None, False),
    ]

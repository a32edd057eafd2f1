"""How PostgreSQL reads the few stock levels a consumer batch or a listing's page names (the plan, not the time)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from inventory_service.stock.models import StockRow
from inventory_service.stock.repository import _LEVELS, ROWS_OF, StockRepository

pytestmark = pytest.mark.usefixtures("clean")


async def test_levels_read_by_key_look_their_items_up_instead_of_hashing_the_assortment(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """20,000 items and a batch of 500 levels, as during a first sync: joined, PostgreSQL read and hashed the whole
    assortment twice per batch (27-37 ms at this size, most of the inventory's database time); each level's item,
    product and thresholds are looked up by key instead."""
    tag = uuid.uuid4().hex[:6]
    async with transaction(sessions) as session:
        await session.execute(
            text(
                "INSERT INTO inventory.assortment "
                "(id, source, account_id, kind, product_id, name, updated_at, source_version) "
                "SELECT :tag || '-' || n, 'test', 'a', 'product', :tag || '-' || n, 'item ' || n, now(), 1 "
                "FROM generate_series(1, 20000) AS n"
            ),
            {"tag": tag},
        )
        await session.execute(
            text(
                "INSERT INTO inventory.stock (id, source, account_id, assortment_id, assortment_kind, product_id, "
                "store_id, stock, reserve, in_transit, available, as_of, source_version) "
                "SELECT :tag || '-' || n || '@s', 'test', 'a', :tag || '-' || n, 'product', :tag || '-' || n, 's', "
                "n, 0, 0, n, now(), 1 FROM generate_series(1, 20000, 40) AS n"
            ),
            {"tag": tag},
        )
        await session.execute(text("ANALYZE inventory.assortment"))
        await session.execute(text("ANALYZE inventory.stock"))
        ids = [f"{tag}-{n}@s" for n in range(1, 20000, 40)]
        statement = _LEVELS.where(StockRow.id.in_(ids))
        sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))
        rows = (await session.execute(statement)).all()
    assert len(rows) == 500
    assert {row.name for row in rows} == {f"item {n}" for n in range(1, 20000, 40)}
    assert "Seq Scan on assortment" not in plan, plan
    assert "Index Scan using pk_assortment on assortment" in plan, plan


async def test_the_rows_of_products_are_found_by_key_even_when_the_statistics_are_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Statistics taken while the stock table held a few products' rows, then 5,000 products × 4 stores: an IN list
    of 700 products was estimated at most of the table and read it whole (a first load, where statistics lag); each
    product's and item's rows are looked up by key instead."""
    tag = uuid.uuid4().hex[:6]
    insert = (
        "INSERT INTO inventory.stock (id, source, account_id, assortment_id, assortment_kind, product_id, "
        "store_id, stock, reserve, in_transit, available, as_of, source_version) "
        "SELECT :tag || '-' || {item} || '@' || s, 'test', 'a', :tag || '-' || {item}, 'product', "
        ":tag || '-' || {item}, 's' || s, 1, 0, 0, 1, now(), 1 "
        "FROM generate_series(1, {count}) AS n, generate_series(1, 4) AS s"
    )
    async with transaction(sessions) as session:
        await session.execute(text("ALTER TABLE inventory.stock SET (autovacuum_enabled = false)"))
    try:
        async with transaction(sessions) as session:
            await session.execute(
                text(insert.format(item="(n % 10)", count=1000) + " ON CONFLICT DO NOTHING"), {"tag": tag}
            )
            await session.execute(text("ANALYZE inventory.stock"))
            await session.execute(text("DELETE FROM inventory.stock"))
            await session.execute(text(insert.format(item="n", count=5000)), {"tag": tag})
            products = [f"{tag}-{n}" for n in range(1, 5000, 7)]
            items = [f"{tag}-{n}" for n in range(3, 5000, 50)]
            statement = ROWS_OF.params(products=products, items=items)
            sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))
            found = await StockRepository(session).ids_of(products=products, items=items)
    finally:
        async with transaction(sessions) as session:
            await session.execute(text("ALTER TABLE inventory.stock RESET (autovacuum_enabled)"))
    expected = {f"{item}@{s}" for item in {*products, *items} for s in range(1, 5)}
    assert sorted(found) == sorted(expected)
    assert "Seq Scan on stock" not in plan, plan

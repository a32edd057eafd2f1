"""How PostgreSQL reads the few stock levels a consumer batch or a listing's page names (the plan, not the time)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from inventory_service.stock.models import StockRow
from inventory_service.stock.repository import _LEVELS

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

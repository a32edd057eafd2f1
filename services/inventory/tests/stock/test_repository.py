"""How PostgreSQL reads the few stock levels a consumer batch or a listing's page names (the plan, not the time)."""

from __future__ import annotations

import uuid

import pytest
from inventory_testkit import autovacuum_off, plan
from sqlalchemy import String, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from inventory_service.stock.models import StockRow
from inventory_service.stock.repository import _LEVELS, COPY_CATALOG, ROWS_OF, StockRepository, _listing
from inventory_service.stock.schemas import StockQuery

pytestmark = pytest.mark.usefixtures("clean")


async def test_a_batchs_levels_copy_their_items_columns_by_key_instead_of_hashing_the_assortment(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """20,000 items and a batch of 500 levels, as during a first sync: joined, PostgreSQL read and hashed the whole
    assortment twice per batch (27-37 ms at this size, most of the inventory's database time); each level's item and
    product are looked up by key instead, and reading the levels to settle them touches no assortment at all."""
    tag = uuid.uuid4().hex[:6]
    async with transaction(sessions) as session:
        await session.execute(
            text(
                "INSERT INTO inventory.assortment "
                "(id, source, account_id, kind, product_id, name, article, updated_at, source_version) "
                "SELECT :tag || '-' || n, 'test', 'a', 'product', :tag || '-' || n, 'item ' || n, 'A' || n, now(), 1 "
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
        copying = await plan(session, COPY_CATALOG, {"ids": ids})
        await StockRepository(session).copy_catalog(ids)
        versions = await _row_versions(session, ids)
        await StockRepository(session).copy_catalog(ids)  # nothing changed since: nothing written
        assert await _row_versions(session, ids) == versions
        statement = _LEVELS.where(StockRow.id == any_(bindparam("ids", type_=ARRAY(String))))
        settling = await plan(session, statement, {"ids": ids})
        rows = (await session.execute(statement, {"ids": ids})).all()
    assert len(rows) == 500
    assert {row.name for row in rows} == {f"item {n}" for n in range(1, 20000, 40)}
    assert "Seq Scan on assortment" not in copying, copying
    assert "Index Scan using pk_assortment on assortment" in copying, copying
    assert " on assortment" not in settling, settling


async def _row_versions(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    """Each row's ``ctid``: an UPDATE that writes a row puts a new version of it elsewhere, even with the same
    values."""
    rows = await session.execute(text("SELECT id, ctid::text FROM inventory.stock WHERE id = ANY(:ids)"), {"ids": ids})
    return dict(rows.tuples().all())


async def test_a_page_of_a_large_stock_list_is_read_in_name_order_not_sorted_whole(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """30,000 listed levels (10,000 products in three stores): the default page walks the index of the listed rows
    by name (only the rows of equal names are sorted by store) instead of joining and sorting every row, and the
    count reads the stock table alone (and the list of deleted stores); what it lists is what sorting everything
    gives."""
    tag = uuid.uuid4().hex[:6]
    async with transaction(sessions) as session:
        await session.execute(
            text(
                "INSERT INTO inventory.stock (id, source, account_id, assortment_id, assortment_kind, product_id, "
                "store_id, stock, reserve, in_transit, available, as_of, source_version, name) "
                "SELECT :tag || '-' || n || '@' || s, 'test', 'a', :tag || '-' || n, 'product', :tag || '-' || n, "
                "'s' || s, n, 0, 0, n, now(), 1, 'item ' || lpad((n * 7919 % 10000)::text, 5, '0') "
                "FROM generate_series(1, 10000) AS n, generate_series(1, 3) AS s"
            ),
            {"tag": tag},
        )
        await session.execute(
            text(
                "INSERT INTO inventory.stores (id, source, account_id, name, updated_at, source_version) "
                "SELECT 's' || s, 'test', 'a', 'store ' || (4 - s), now(), 1 FROM generate_series(1, 3) AS s"
            )
        )
        await session.execute(text("ANALYZE inventory.stock"))
    query = StockQuery(limit=50, offset=120)
    count, page = _listing(query)
    async with transaction(sessions) as session:
        page_plan = await plan(session, page, {"limit": 50, "offset": 120})
        counting = await plan(session, count, {})
        listed, total = await StockRepository(session).search(query)
    assert total == 30000
    # the 120th-170th rows of everything by name, then store name, then id
    names = sorted(
        (f"item {n * 7919 % 10000:05d}", f"store {4 - s}", f"{tag}-{n}@{s}")
        for n in range(1, 10001)
        for s in range(1, 4)
    )
    assert [(row["name"], row["store_name"], row["id"]) for row in listed] == names[120:170]
    assert "Index Scan using ix_stock_listed_by_name on stock" in page_plan, page_plan
    assert "Seq Scan on stock" not in page_plan, page_plan
    assert "Join" not in counting, counting


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
    async with autovacuum_off(sessions, "inventory.stock"), transaction(sessions) as session:
        await session.execute(
            text(insert.format(item="(n % 10)", count=1000) + " ON CONFLICT DO NOTHING"), {"tag": tag}
        )
        await session.execute(text("ANALYZE inventory.stock"))
        await session.execute(text("DELETE FROM inventory.stock"))
        await session.execute(text(insert.format(item="n", count=5000)), {"tag": tag})
        products = [f"{tag}-{n}" for n in range(1, 5000, 7)]
        items = [f"{tag}-{n}" for n in range(3, 5000, 50)]
        found_by = await plan(session, ROWS_OF, {"products": products, "items": items})
        found = await StockRepository(session).ids_of(products=products, items=items)
    expected = {f"{item}@{s}" for item in {*products, *items} for s in range(1, 5)}
    assert sorted(found) == sorted(expected)
    assert "Seq Scan on stock" not in found_by, found_by

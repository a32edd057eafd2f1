"""How PostgreSQL finds the rows a sales batch touches (the plan, not the time): key by key, even while the tables'
statistics lag behind their growth, as during a first sync before autovacuum comes by."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.db import SCHEMA
from analytics_service.sales.rollups import (
    DAILY_CUSTOMERS,
    DAILY_DOCUMENTS,
    DAILY_TOTALS,
    MONTHLY_PRODUCTS,
    PRODUCTS,
    delete_facts_sql,
)
from crm_common.db import transaction
from crm_testing import autovacuum_off

pytestmark = pytest.mark.usefixtures("clean")
DAY = date(2025, 1, 1)
FACTS = (
    f"INSERT INTO {SCHEMA}.sales_facts (document_id, position_id, kind, business_day, moment, assortment_id,"
    " assortment_kind, product_id, customer_id, store_id, organization_id, currency, quantity, revenue, vat, cost,"
    " profit, cost_known)"
    " SELECT 'd' || (n / 2), 'p' || n, 'shipment', DATE '2025-01-01' + n / 400, now(), 'a' || n % 3000, 'product',"
    " 'a' || n % 3000, 'c' || n % 5000, 's1', 'o1', 'RUB', 1, 10, 0, 5, 5, true FROM generate_series(1, {count}) n"
)
DAILY = (
    f"INSERT INTO {SCHEMA}.sales_daily_products (business_day, assortment_id, store_id, product_id, documents,"
    " sold_quantity, returned_quantity, revenue, vat, cost, profit)"
    " SELECT DATE '2025-01-01' + n / 3000, 'a' || n % 3000, 's1', 'a' || n % 3000, 1, 1, 0, 10, 0, 5, 5"
    " FROM generate_series(1, {count}) n"
)


async def explain(session: AsyncSession, sql: str, params: dict[str, object]) -> str:
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))  # as the consumer runs a batch
    return "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}"), params))


async def test_a_batchs_facts_and_rollup_rows_are_found_key_by_key_even_when_the_statistics_are_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Statistics taken over a handful of rows, then 40,000 facts and 30,000 roll-up rows, as a first sync leaves
    them: a batch of 500 documents (and their keys) reads each by an index, never the whole table."""
    tables = (f"{SCHEMA}.sales_facts", f"{SCHEMA}.sales_daily_products")
    async with autovacuum_off(sessions, tables[0]), autovacuum_off(sessions, tables[1]):
        async with transaction(sessions) as session:
            await session.execute(text(FACTS.format(count=4)))
            await session.execute(text(DAILY.format(count=4)))
            for table in tables:
                await session.execute(text(f"ANALYZE {table}"))
        async with transaction(sessions) as session:
            await session.execute(text(f"TRUNCATE {tables[0]}, {tables[1]}"))
            await session.execute(text(FACTS.format(count=40_000)))
            await session.execute(text(DAILY.format(count=30_000)))
        documents = {"documents": [f"d{n}" for n in range(5_000, 5_500)]}
        keys = {
            "business_day": [DAY + timedelta(days=n % 10) for n in range(500)],
            "assortment_id": [f"a{n}" for n in range(500)],
            "store_id": ["s1"] * 500,
        }
        async with transaction(sessions) as session:
            plans = {
                "delete facts": await explain(session, delete_facts_sql(SCHEMA), documents),
                "add": await explain(session, DAILY_TOTALS.add_sql(SCHEMA), documents),
                "take out": await explain(session, MONTHLY_PRODUCTS.take_out_sql(SCHEMA), documents),
                "take out by customer": await explain(session, DAILY_CUSTOMERS.take_out_sql(SCHEMA), documents),
                "add by document grain": await explain(session, DAILY_DOCUMENTS.add_sql(SCHEMA), documents),
                "delete rows": await explain(session, PRODUCTS.delete_sql(SCHEMA), keys),
                "recompute": await explain(session, PRODUCTS.recompute_sql(SCHEMA), keys),
            }
    for name, plan in plans.items():
        assert "Seq Scan on sales_" not in plan, f"{name}:\n{plan}"


async def test_a_document_or_key_given_twice_counts_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Looked up key by key, a key given twice would bring its rows twice into a sum: each statement takes every key
    once (as ``= ANY`` did)."""
    async with transaction(sessions) as session:
        await session.execute(text(FACTS.format(count=4)))  # facts 1-4 of d0, d1, d1, d2 on 2025-01-01: 10 each
        await DAILY_TOTALS.add_in(session, SCHEMA, ["d1", "d1", "d2"], [])
        totals = (await session.execute(text(f"SELECT sales_docs, revenue FROM {SCHEMA}.sales_daily_totals"))).all()
        await PRODUCTS.recompute(session, SCHEMA, [(DAY, "a1", "s1"), (DAY, "a1", "s1")])
        daily = (await session.execute(text(f"SELECT documents, revenue FROM {SCHEMA}.sales_daily_products"))).all()
    assert [tuple(r) for r in totals] == [(2, 30)]
    assert [tuple(r) for r in daily] == [(1, 10)]

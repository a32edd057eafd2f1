"""The coarse roll-ups the dashboard reads (a day's totals, a month per product and per customer, first sales) must
equal the same sums over the finer daily roll-ups after any sequence of document versions: through the live path
(one event or one consumer batch at a time, and the real consumer over Kafka) and through the rebuild alike
(docs/architecture.md, "Layers"; README, "Reports at 1M positions").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from analytics_testkit import document_deleted, document_event, eventually, msk, new_id, position, publish
from pipeline.test_batch_paths import _bulk_load, _drop, _fresh  # type: ignore[import-not-found]
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics_service.db import SCHEMA
from analytics_service.pipeline.batch import ProjectionBatch
from analytics_service.pipeline.rebuild import rebuild
from analytics_service.sales.rollups import RollupDrift
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import DocumentKind
from crm_testing import test_database_url

SHIP, RETAIL, RETURN = DocumentKind.SHIPMENT, DocumentKind.RETAIL_SALE, DocumentKind.SALES_RETURN
MARCH_31, APRIL_1 = date(2025, 3, 31), date(2025, 4, 1)
MONTH = "CAST(date_trunc('month', CAST(business_day AS timestamp)) AS date)"
# What each coarse roll-up must hold, as sums over the finer ones (every document has one day, store and customer).
FROM_FINER = {
    "sales_daily_totals": """
        SELECT p.business_day, c.sales_docs, c.return_docs, p.sold, p.returned, p.revenue, p.vat, p.cost, p.profit
        FROM (SELECT business_day, sum(sold_quantity) sold, sum(returned_quantity) returned, sum(revenue) revenue,
                     sum(vat) vat, sum(cost) cost, sum(profit) profit
              FROM "{s}".sales_daily_products GROUP BY business_day) p
        FULL JOIN (SELECT business_day, sum(sales_docs) sales_docs, sum(return_docs) return_docs
                   FROM "{s}".sales_daily_customers GROUP BY business_day) c USING (business_day)""",
    "sales_monthly_products": f"""
        SELECT {MONTH}, assortment_id, product_id, sum(documents), sum(sold_quantity), sum(returned_quantity),
               sum(revenue), sum(vat), sum(cost), sum(profit)
        FROM "{{s}}".sales_daily_products GROUP BY 1, 2, 3""",
    "sales_monthly_customers": f"""
        SELECT {MONTH}, customer_id, sum(sales_docs), sum(return_docs), sum(quantity), sum(revenue), sum(cost),
               sum(profit)
        FROM "{{s}}".sales_daily_customers GROUP BY 1, 2""",
    "sales_customer_firsts": """
        SELECT customer_id, min(business_day) FROM "{s}".sales_daily_customers WHERE sales_docs > 0 GROUP BY 1""",
}


def sequence() -> list[EventEnvelope]:
    """Create, update, update (to the next day and month, another customer), delete; returns; unposting."""
    a, b, r = new_id(), new_id(), new_id()
    late = msk(MARCH_31, 23, 30)  # still 31 March in Moscow, 20:30 UTC
    early = msk(APRIL_1, 0, 30)  # already 1 April in Moscow, 21:30 UTC on 31 March
    return [
        document_event(
            SHIP, a, 1, late, [position("p1", 2, "100.10", cost="60.05"), position("p2", 1, 50)], customer="c1"
        ),
        document_event(
            SHIP,
            a,
            2,
            late,
            [position("p1", 3, "100.10", cost="60.05"), position("p2", "1.5", 50, vat=20), position("p3", 1, "9.99")],
            customer="c1",
            vat_enabled=True,
        ),
        document_event(SHIP, a, 3, early, [position("p1", 1, "100.10", cost="60.05")], customer="c2"),
        document_event(RETURN, r, 1, early, [position("p1", 1, "100.10", cost="60.05")], customer="c2"),
        document_event(RETAIL, b, 1, late, [position("p2", 4, "12.34", cost=7)], customer="c1"),
        document_event(RETAIL, b, 2, late, [position("p2", 4, "12.34", cost=7)], customer="c2"),
        document_deleted(SHIP, a, 4),
        document_event(RETAIL, b, 3, late, [position("p2", 4, "12.34", cost=7)], customer="c2", applicable=False),
        document_deleted(RETURN, r, 2),
    ]


@pytest.fixture(scope="module")
async def own_engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    """An engine of this module's own (the shared ``engine`` serves the live service of the package)."""
    engine = create_engine(test_database_url(), SCHEMA, pool_size=2)
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return sorted((tuple(r) for r in await conn.execute(text(sql))), key=lambda r: tuple(map(str, r[:3])))


async def coarse_differences(engine: AsyncEngine, schema: str) -> dict[str, Any]:
    """Per coarse roll-up whose rows differ from the sums over the finer ones: (rows held, rows expected)."""
    out = {}
    for table, sql in FROM_FINER.items():
        held = await _rows(engine, f'SELECT * FROM "{schema}".{table}')
        expected = await _rows(engine, sql.format(s=schema))
        if held != expected:
            out[table] = (held, expected)
    return out


async def count(engine: AsyncEngine, schema: str, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(f'SELECT count(*) FROM "{schema}".{table}')) or 0)


async def test_the_live_path_keeps_the_coarse_roll_ups_equal_to_the_finer_ones_after_every_event(
    own_engine: AsyncEngine, settings: AnalyticsSettings
) -> None:  # type: ignore[no-untyped-def]
    schema = f"analytics_t_coarse_{uuid.uuid4().hex[:6]}"
    batch = ProjectionBatch(settings)
    try:
        sessions = await _fresh(own_engine, schema)
        months_seen = set()
        for event in sequence():
            async with sessions() as s, s.begin():
                await batch(s, [event])
            assert await coarse_differences(own_engine, schema) == {}, event.event_type
            months_seen |= {
                r[0] for r in await _rows(own_engine, f'SELECT month FROM "{schema}".sales_monthly_products')
            }
        assert months_seen == {date(2025, 3, 1), date(2025, 4, 1)}  # the moved document crossed a month
        for table in FROM_FINER:  # every document was deleted or unposted: nothing may linger as zeros
            assert await count(own_engine, schema, table) == 0, table
    finally:
        await _drop(own_engine, schema)


async def test_a_batch_and_the_rebuild_leave_the_same_coarse_roll_ups_as_the_finer_ones_at_every_step(
    own_engine: AsyncEngine, settings: AnalyticsSettings
) -> None:  # type: ignore[no-untyped-def]
    events = sequence()
    batch = ProjectionBatch(settings)
    tag = uuid.uuid4().hex[:6]
    for n in (2, 3, 5, 6, 7, len(events)):
        live, bulk = f"analytics_t_cb_{tag}_{n}", f"analytics_t_cr_{tag}_{n}"
        try:
            async with (await _fresh(own_engine, live))() as s, s.begin():
                await batch(s, events[:n])  # one consumer batch: versions of one document reduced together
            await _bulk_load(await _fresh(own_engine, bulk, bulk=True), batch, bulk, events[:n])
            for schema in (live, bulk):
                assert await coarse_differences(own_engine, schema) == {}, (n, schema)
            if n < len(events):
                assert await count(own_engine, bulk, "sales_daily_totals") > 0, n
        finally:
            await _drop(own_engine, live, bulk)


async def test_taking_facts_out_of_a_missing_coarse_row_is_an_error_not_a_silent_skip(
    own_engine: AsyncEngine, settings: AnalyticsSettings
) -> None:  # type: ignore[no-untyped-def]
    schema = f"analytics_t_drift_{uuid.uuid4().hex[:6]}"
    batch = ProjectionBatch(settings)
    doc = new_id()
    try:
        sessions = await _fresh(own_engine, schema)
        async with sessions() as s, s.begin():
            await batch(s, [document_event(SHIP, doc, 1, msk(MARCH_31), [position("p1", 1, 10)], customer="c1")])
            await s.execute(text(f'DELETE FROM "{schema}".sales_monthly_customers'))
        with pytest.raises(RollupDrift, match="sales_monthly_customers"):
            async with sessions() as s, s.begin():
                await batch(s, [document_deleted(SHIP, doc, 2)])
    finally:
        await _drop(own_engine, schema)


async def _stored_versions(engine: AsyncEngine, events: list[EventEnvelope]) -> None:
    """Wait until the live consumer holds the newest version of every document in ``events``."""
    newest: dict[str, int] = {}
    for e in events:
        newest[e.entity_id] = max(newest.get(e.entity_id, 0), e.source_version)

    async def stored() -> bool:
        rows = await _rows(engine, "SELECT id, source_version FROM analytics.documents")
        return newest.items() <= dict(rows).items()  # type: ignore[arg-type]

    await eventually(stored, what="the newest version of every document applied")


async def test_through_kafka_and_a_rebuild_the_coarse_roll_ups_equal_the_finer_ones(
    live, own_engine: AsyncEngine, settings: AnalyticsSettings
) -> None:  # type: ignore[no-untyped-def]
    events = sequence()
    await publish(events[:5])
    await _stored_versions(own_engine, events[:5])
    assert await coarse_differences(own_engine, SCHEMA) == {}
    kept = {t: await _rows(own_engine, f"SELECT * FROM analytics.{t}") for t in FROM_FINER}
    assert {r[0] for r in kept["sales_monthly_products"]} >= {date(2025, 3, 1), date(2025, 4, 1)}
    assert all(kept.values())

    await rebuild(settings)

    assert await coarse_differences(own_engine, SCHEMA) == {}
    assert {t: await _rows(own_engine, f"SELECT * FROM analytics.{t}") for t in FROM_FINER} == kept
    await publish(events[5:])  # the live consumer goes on over the rebuilt tables
    await _stored_versions(own_engine, events)
    assert await coarse_differences(own_engine, SCHEMA) == {}

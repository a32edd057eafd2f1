"""Analytics projections against plain SQL over raw positions, in one run, on a generated dataset.

    uv run python bench/analytics_bench.py [--positions 1000000] [--live-sample 20000] [--queries 30]

Generates canonical sales documents (shipments, retail sales, returns; ~5 positions each) spread over a year, and:
1. applies a sample through the live path (one transaction per event, as the Kafka consumer does): events/s;
2. applies all of them through the rebuild path (batches per transaction, as `crm-analytics rebuild` does): the
   rebuild time (Kafka fetch excluded) and events/s;
3. asks the dashboard and a sales report (month by day and product) of the projections, and the same questions as
   plain SQL over a raw positions table holding the same rows: p50/p95 and the ratios.
Everything lives in scratch schemas `analytics_bench*` of DATABASE_URL, dropped at the end. Prints; asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from analytics_service.dashboard.service import build_dashboard
from analytics_service.db import Base, projection_tables
from analytics_service.periods import Period
from analytics_service.sales.report import sales_report
from analytics_service.sales.schemas import Dimension, ReportFilters, TimeGrouping
from analytics_service.sales.service import apply_document
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import AssortmentKind, Document, DocumentKind, Position

SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW = "analytics_bench_live", "analytics_bench", "analytics_bench_raw"
KINDS = [DocumentKind.SHIPMENT] * 6 + [DocumentKind.RETAIL_SALE] * 3 + [DocumentKind.SALES_RETURN]
START = date(2025, 1, 1)


def generate(positions: int, seed: int = 7) -> list[EventEnvelope]:
    rnd = random.Random(seed)
    products = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(2000)]
    customers = [f"c{i}" for i in range(5000)]
    prices = {p: Decimal(rnd.randint(50, 50000)) / 10 for p in products}
    events, made = [], 0
    while made < positions:
        n = min(rnd.randint(1, 9), positions - made)
        moment = datetime.combine(START, datetime.min.time(), UTC) + timedelta(seconds=rnd.randint(0, 365 * 86400))
        items = []
        for _ in range(n):
            p = rnd.choice(products)
            q, d = Decimal(rnd.randint(1, 5)), Decimal(rnd.choice([0, 0, 5, 10]))
            items.append(
                Position(
                    id=uuid.uuid4().hex,
                    assortment_id=p,
                    assortment_kind=AssortmentKind.PRODUCT,
                    product_id=p,
                    quantity=q,
                    price=prices[p],
                    discount_percent=d,
                    amount=q * prices[p] * (100 - d) / 100,
                    cost=(prices[p] * Decimal("0.62")).quantize(Decimal("0.0001")),
                )
            )
        doc_id, kind = uuid.uuid4().hex, rnd.choice(KINDS)
        doc = Document(
            id=doc_id,
            kind=kind,
            number=str(len(events)),
            moment=moment,
            applicable=True,
            counterparty_id=rnd.choice(customers),
            store_id=f"s{rnd.randint(1, 3)}",
            organization_id="org",
            total=sum((i.amount for i in items), Decimal(0)),
            positions=items,
            updated_at=moment,
        )
        events.append(
            make_event(
                f"{kind.value}.upserted",
                source="bench",
                account_id="bench",
                entity_id=doc_id,
                source_version=1,
                payload=doc,
            )
        )
        made += n
    return events


async def create_schemas(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as conn:
        for schema in (SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW):
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        for schema in (SCHEMA_LIVE, SCHEMA_REBUILD):
            translated = await conn.execution_options(schema_translate_map={"analytics": schema})
            await translated.run_sync(lambda c: Base.metadata.create_all(c, tables=projection_tables()))
        await conn.execute(
            text(
                f"CREATE TABLE {SCHEMA_RAW}.positions (document_id text, kind text, moment timestamptz, "
                "customer_id text, store_id text, product_id text, quantity numeric, amount numeric, cost numeric)"
            )
        )


async def load_raw(engine, events: list[EventEnvelope]) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for e in events:
        d = e.payload
        for p in d["positions"]:
            rows.append(
                (
                    d["id"],
                    d["kind"],
                    datetime.fromisoformat(d["moment"]),
                    d["counterparty_id"],
                    d["store_id"],
                    p["product_id"],
                    Decimal(p["quantity"]),
                    Decimal(p["amount"]),
                    Decimal(p["cost"]),
                )
            )
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table("positions", records=rows, schema_name=SCHEMA_RAW)
        await conn.commit()
        await conn.execute(text(f"CREATE INDEX ON {SCHEMA_RAW}.positions (moment)"))
        await conn.execute(text(f"ANALYZE {SCHEMA_RAW}.positions"))
        await conn.commit()


async def apply_live(engine, events, zone) -> float:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine.execution_options(schema_translate_map={"analytics": SCHEMA_LIVE}))
    started = time.perf_counter()
    for e in events:
        async with sessions() as s, s.begin():
            await apply_document(s, e, zone)
    return time.perf_counter() - started


async def apply_rebuild(engine, events, zone, batch: int) -> float:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine.execution_options(schema_translate_map={"analytics": SCHEMA_REBUILD}))
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        async with sessions() as s, s.begin():
            for e in events[i : i + batch]:
                await apply_document(s, e, zone)
    async with engine.begin() as conn:
        await conn.execute(text(f"ANALYZE {SCHEMA_REBUILD}.sales_facts"))
    return time.perf_counter() - started


RAW_DASHBOARD = f"""
SELECT sum(CASE WHEN kind = 'sales_return' THEN -amount ELSE amount END) AS revenue,
       sum(CASE WHEN kind = 'sales_return' THEN -amount ELSE amount END
           - CASE WHEN kind = 'sales_return' THEN -cost * quantity ELSE cost * quantity END) AS profit,
       sum(quantity) FILTER (WHERE kind <> 'sales_return') AS units,
       count(DISTINCT document_id) FILTER (WHERE kind <> 'sales_return') AS sales,
       count(DISTINCT customer_id) FILTER (WHERE kind <> 'sales_return') AS customers
FROM {SCHEMA_RAW}.positions
WHERE (moment AT TIME ZONE 'Europe/Moscow')::date BETWEEN :start AND :end
"""
RAW_FIRST_PURCHASE = f"""
SELECT count(*) FILTER (WHERE first >= :start) FROM (
  SELECT customer_id, min((moment AT TIME ZONE 'Europe/Moscow')::date) AS first FROM {SCHEMA_RAW}.positions
  WHERE kind <> 'sales_return' AND customer_id IN (
    SELECT customer_id FROM {SCHEMA_RAW}.positions
    WHERE (moment AT TIME ZONE 'Europe/Moscow')::date BETWEEN :start AND :end AND kind <> 'sales_return')
  GROUP BY customer_id) f
"""
RAW_REPORT = f"""
SELECT (moment AT TIME ZONE 'Europe/Moscow')::date AS day, product_id,
       sum(CASE WHEN kind = 'sales_return' THEN -amount ELSE amount END) AS revenue,
       sum(CASE WHEN kind = 'sales_return' THEN -quantity ELSE quantity END) AS quantity
FROM {SCHEMA_RAW}.positions
WHERE (moment AT TIME ZONE 'Europe/Moscow')::date BETWEEN :start AND :end
GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 100
"""


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))] * 1000


async def timed(n: int, make) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        started = time.perf_counter()
        await make(i)
        out.append(time.perf_counter() - started)
    return out


def month(i: int) -> Period:
    start = date(2025, 1 + i % 12, 1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(start, end)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--live-sample", type=int, default=20_000, help="documents applied one transaction each")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch schemas")
    args = parser.parse_args()
    settings = AnalyticsSettings()
    engine = create_engine(settings.database_url, SCHEMA_REBUILD, pool_size=2)
    try:
        t = time.perf_counter()
        events = generate(args.positions)
        print(f"generated {len(events)} documents / {args.positions} positions in {time.perf_counter() - t:.1f}s")
        await create_schemas(engine)
        await load_raw(engine, events)
        sample = events[: args.live_sample]
        live = await apply_live(engine, sample, settings.zone)
        print(f"live path:    {len(sample)} events in {live:.1f}s = {len(sample) / live:,.0f} events/s")
        rebuild = await apply_rebuild(engine, events, settings.zone, args.batch)
        positions_per_s = args.positions / rebuild
        print(
            f"rebuild path: {len(events)} events in {rebuild:.1f}s = {len(events) / rebuild:,.0f} events/s "
            f"({positions_per_s:,.0f} positions/s)"
        )

        sessions = session_factory(engine.execution_options(schema_translate_map={"analytics": SCHEMA_REBUILD}))

        async def projected_dashboard(i: int) -> None:
            p = month(i)
            async with sessions() as s:
                await build_dashboard(s, p, p.before(), 10)

        async def raw_dashboard(i: int) -> None:
            p, q = month(i), month(i).before()
            async with engine.connect() as c:
                for period in (p, q):
                    await c.execute(text(RAW_DASHBOARD), {"start": period.start, "end": period.end})
                    await c.execute(text(RAW_FIRST_PURCHASE), {"start": period.start, "end": period.end})

        async def projected_report(i: int) -> None:
            async with sessions() as s:
                await sales_report(
                    s, month(i), time=TimeGrouping.DAY, dimension=Dimension.PRODUCT, filters=ReportFilters()
                )

        async def raw_report(i: int) -> None:
            async with engine.connect() as c:
                await c.execute(text(RAW_REPORT), {"start": month(i).start, "end": month(i).end})

        for name, projected, raw in (
            ("dashboard", projected_dashboard, raw_dashboard),
            ("sales report", projected_report, raw_report),
        ):
            a, b = await timed(args.queries, projected), await timed(args.queries, raw)
            print(
                f"{name:13} projection p50 {pct(a, 0.5):7.1f} ms p95 {pct(a, 0.95):7.1f} ms"
                f" | plain SQL p50 {pct(b, 0.5):7.1f} ms p95 {pct(b, 0.95):7.1f} ms"
                f" | plain/projection p50 ×{statistics.median(b) / statistics.median(a):.1f}"
            )
        print(f"rebuild time {rebuild:.1f}s for {args.positions} positions (Kafka fetch excluded)")
    finally:
        if not args.keep:
            async with engine.begin() as conn:
                for schema in (SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW):
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

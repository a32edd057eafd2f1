"""Analytics projections against plain SQL over raw positions, in one run, on a generated dataset.

    uv run python bench/analytics_bench.py [--positions 1000000] [--live-sample 20000] [--queries 30]

Generates canonical sales documents (shipments, retail sales, returns; ~5 positions each) spread over a year, and:
1. live path: publishes a sample to Kafka (topics of its own) and lets the real batch consumer
   (`EventConsumer.subscribe_batch` + `ProjectionBatch`, inbox, projection lock) apply it: events/s and positions/s,
   timed from the first applied batch to the last (the consumer-group join is excluded and printed apart);
2. rebuild path: all documents, from their Kafka bytes, through the rebuild's validation and bulk loader
   (COPY into staging, one pass to pick versions, roll-ups by GROUP BY, keys and indexes after the load): the
   rebuild time (Kafka fetch excluded) and positions/s;
3. asks the dashboard and two sales reports (month by day and product; month by customer) of the projections, and
   the same questions as plain SQL over a raw positions table holding the same rows: p50/p95 and the ratios; and
   checks that the projections' revenue equals the raw positions' revenue to the kopeck.
Everything lives in scratch schemas `analytics_bench*` of DATABASE_URL and topics prefixed `bench-<random>.`, all
dropped at the end. Prints; asserts nothing about time, but exits non-zero if the projection's revenue differs
from the raw positions' (the side check).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from analytics_service.dashboard.service import build_dashboard
from analytics_service.db import Base, inbox, projection_tables
from analytics_service.money import rub
from analytics_service.periods import Period
from analytics_service.projections.batch import ProjectionBatch
from analytics_service.projections.bulk import BulkLoader
from analytics_service.projections.checkpoints import hold_projection_lock
from analytics_service.projections.rebuild import RebuildResult, prepare_records, prepare_schema
from analytics_service.sales.report import sales_report
from analytics_service.sales.schemas import Dimension, ReportFilters, SortField, TimeGrouping
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import AssortmentKind, Document, DocumentKind, Position
from crm_common.events.topics import DEAD_LETTER, SALES
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.consumer import EventConsumer

SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW = "analytics_bench_live", "analytics_bench", "analytics_bench_raw"
KINDS = [DocumentKind.SHIPMENT] * 6 + [DocumentKind.RETAIL_SALE] * 3 + [DocumentKind.SALES_RETURN]
START = date(2025, 1, 1)
Raw = tuple[str, str, datetime, str, str, str, Decimal, Decimal, Decimal]


def generate(positions: int, seed: int = 7) -> tuple[list[tuple[str, bytes]], list[Raw]]:
    """(entity id, Kafka value) per document, and the same positions as raw rows."""
    rnd = random.Random(seed)
    products = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(2000)]
    customers = [f"c{i}" for i in range(5000)]
    prices = {p: Decimal(rnd.randint(50, 50000)) / 10 for p in products}
    messages: list[tuple[str, bytes]] = []
    raw: list[Raw] = []
    made = 0
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
        customer, store = rnd.choice(customers), f"s{rnd.randint(1, 3)}"
        doc = Document(
            id=doc_id,
            kind=kind,
            number=str(len(messages)),
            moment=moment,
            applicable=True,
            counterparty_id=customer,
            store_id=store,
            organization_id="org",
            total=sum((i.amount for i in items), Decimal(0)),
            positions=items,
            updated_at=moment,
        )
        event = make_event(
            f"{kind.value}.upserted",
            source="bench",
            account_id="bench",
            entity_id=doc_id,
            source_version=1,
            payload=doc,
        )
        messages.append((doc_id, event.to_bytes()))
        raw += [
            (doc_id, kind.value, moment, customer, store, i.product_id, i.quantity, i.amount, i.cost or Decimal(0))
            for i in items
        ]
        made += n
    return messages, raw


def translated(engine: AsyncEngine, schema: str) -> Any:
    return session_factory(engine.execution_options(schema_translate_map={"analytics": schema}))


async def create_schemas(engine: AsyncEngine) -> None:
    await prepare_schema(engine, SCHEMA_REBUILD)
    async with engine.begin() as conn:
        for schema in (SCHEMA_LIVE, SCHEMA_RAW):
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        live = await conn.execution_options(schema_translate_map={"analytics": SCHEMA_LIVE})
        await live.run_sync(lambda c: Base.metadata.create_all(c, tables=[*projection_tables(), inbox]))
        await conn.execute(
            text(
                f"CREATE TABLE {SCHEMA_RAW}.positions (document_id text, kind text, moment timestamptz, "
                "customer_id text, store_id text, product_id text, quantity numeric, amount numeric, cost numeric)"
            )
        )


async def load_raw(engine: AsyncEngine, rows: list[Raw]) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table("positions", records=rows, schema_name=SCHEMA_RAW)
        await conn.commit()
        await conn.execute(text(f"CREATE INDEX ON {SCHEMA_RAW}.positions (moment)"))
        await conn.execute(text(f"ANALYZE {SCHEMA_RAW}.positions"))
        await conn.commit()


async def count_documents(engine: AsyncEngine, schema: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {schema}.documents"))).scalar() or 0)


async def apply_live(engine: AsyncEngine, settings: AnalyticsSettings, sample: list[tuple[str, bytes]], size: int):  # type: ignore[no-untyped-def]
    """Publish ``sample`` to a SALES topic of our own, consume it with the real batch consumer; timings."""
    servers = settings.kafka_bootstrap_servers
    os.environ["KAFKA_TOPIC_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}."
    await ensure_topics(servers, [SALES, DEAD_LETTER])
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    t = time.perf_counter()
    try:
        futures = [await producer.send(SALES.name, value, key=key.encode()) for key, value in sample]
        await producer.flush()
        for f in futures:
            await f
    finally:
        await producer.stop()
    published = time.perf_counter() - t
    broker = make_broker(servers, "analytics-bench")
    batch = ProjectionBatch(settings)

    async def live(session: AsyncSession, events: list[EventEnvelope]) -> None:
        await hold_projection_lock(session)
        await batch(session, events)

    consumer = EventConsumer(broker, translated(engine, SCHEMA_LIVE), inbox, "analytics-bench")
    consumer.subscribe_batch([SALES], live, event_types=batch.event_types, max_records=size)
    started = time.perf_counter()
    first_at = first_count = None
    await broker.start()
    try:
        deadline = started + 1800
        while time.perf_counter() < deadline:
            n = await count_documents(engine, SCHEMA_LIVE)
            if n and first_at is None:
                first_at, first_count = time.perf_counter(), n
            if n >= len(sample):
                break
            await asyncio.sleep(0.1)
        done = time.perf_counter()
    finally:
        await broker.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=servers)
        await admin.start()
        try:
            await admin.delete_topics([SALES.name, DEAD_LETTER.name])
        finally:
            await admin.close()
    assert first_at is not None
    assert first_count is not None
    return published, first_at - started, (len(sample) - first_count) / max(done - first_at, 1e-9), done - started


async def apply_rebuild(engine: AsyncEngine, settings: AnalyticsSettings, messages: list[tuple[str, bytes]], size: int):  # type: ignore[no-untyped-def]
    """The rebuild's work on records already fetched: validate, bulk-load, finish. Returns (seconds, finish part)."""
    sessions = translated(engine, SCHEMA_REBUILD)
    batch = ProjectionBatch(settings)
    loader = BulkLoader(batch, SCHEMA_REBUILD)
    result = RebuildResult(generation="bench")
    started = time.perf_counter()
    for i in range(0, len(messages), size):
        records = [
            SimpleNamespace(value=value, topic=SALES.name, partition=0, offset=i + j)
            for j, (_key, value) in enumerate(messages[i : i + size])
        ]
        async with sessions() as s, s.begin():
            await loader.load(s, prepare_records(records, batch, result))
    finishing = time.perf_counter()
    async with sessions() as s, s.begin():
        await loader.finish(s)
    done = time.perf_counter()
    assert result.skipped == 0, result.skipped_reasons
    return done - started, done - finishing, loader.positions


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
RAW_REPORT_CUSTOMERS = f"""
SELECT customer_id, count(DISTINCT document_id) AS documents,
       sum(CASE WHEN kind = 'sales_return' THEN -amount ELSE amount END) AS revenue
FROM {SCHEMA_RAW}.positions
WHERE (moment AT TIME ZONE 'Europe/Moscow')::date BETWEEN :start AND :end
GROUP BY 1 ORDER BY 3 DESC LIMIT 100
"""
RAW_REVENUE = f"""
SELECT coalesce(sum(CASE WHEN kind = 'sales_return' THEN -amount ELSE amount END), 0) FROM {SCHEMA_RAW}.positions
WHERE (moment AT TIME ZONE 'Europe/Moscow')::date BETWEEN :start AND :end
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


async def exact(engine: AsyncEngine, sessions: Any) -> bool:
    """Every month's revenue from the projection equals the raw positions' to the kopeck."""
    for i in range(12):
        async with sessions() as s:
            report = await sales_report(
                s, month(i), time=TimeGrouping.NONE, dimension=Dimension.NONE, filters=ReportFilters()
            )
        async with engine.connect() as c:
            raw = (await c.execute(text(RAW_REVENUE), {"start": month(i).start, "end": month(i).end})).scalar()
        if report.totals.revenue != rub(raw):
            print(f"MISMATCH {month(i)}: projection {report.totals.revenue} raw {raw}")
            return False
    return True


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--live-sample", type=int, default=20_000, help="documents sent through Kafka and the consumer")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2000, help="records per rebuild transaction")
    parser.add_argument("--consume-batch", type=int, default=500, help="records per live consumer batch")
    parser.add_argument("--keep", action="store_true", help="keep the scratch schemas")
    args = parser.parse_args()
    settings = AnalyticsSettings()
    engine = create_engine(settings.database_url, SCHEMA_REBUILD, pool_size=4)
    try:
        t = time.perf_counter()
        messages, raw_rows = generate(args.positions)
        print(f"generated {len(messages)} documents / {len(raw_rows)} positions in {time.perf_counter() - t:.1f}s")
        await create_schemas(engine)
        t = time.perf_counter()
        await load_raw(engine, raw_rows)
        print(f"raw positions table loaded in {time.perf_counter() - t:.1f}s")
        sample = messages[: args.live_sample]
        sample_ids = {k for k, _ in sample}
        sample_positions = sum(1 for r in raw_rows if r[0] in sample_ids)
        published, join, events_per_s, total = await apply_live(engine, settings, sample, args.consume_batch)
        print(
            f"live path:    {len(sample)} events / {sample_positions} positions published in {published:.1f}s; "
            f"consumer joined in {join:.1f}s, applied {events_per_s:,.0f} events/s "
            f"= {events_per_s * sample_positions / len(sample):,.0f} positions/s (all done {total:.1f}s after start)"
        )
        rebuild, finish, loaded = await apply_rebuild(engine, settings, messages, args.batch)
        print(
            f"rebuild path: {len(messages)} events / {loaded} positions in {rebuild:.1f}s "
            f"(of which finish: versions, roll-ups, keys, indexes {finish:.1f}s) = "
            f"{len(messages) / rebuild:,.0f} events/s, {loaded / rebuild:,.0f} positions/s"
        )
        del raw_rows, messages
        sessions = translated(engine, SCHEMA_REBUILD)
        same = await exact(engine, sessions)
        print(f"projection revenue = raw revenue for every month, to the kopeck: {same}")
        if not same:  # a fast projection that answers wrongly is no result: stop here, non-zero
            raise SystemExit("side check failed: projection revenue differs from the raw positions' revenue")

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
                    s,
                    month(i),
                    time=TimeGrouping.DAY,
                    dimension=Dimension.PRODUCT,
                    filters=ReportFilters(),
                    sort=SortField.BUCKET,
                    descending=False,
                )

        async def raw_report(i: int) -> None:
            async with engine.connect() as c:
                await c.execute(text(RAW_REPORT), {"start": month(i).start, "end": month(i).end})

        async def projected_customers(i: int) -> None:
            async with sessions() as s:
                await sales_report(
                    s, month(i), time=TimeGrouping.NONE, dimension=Dimension.CUSTOMER, filters=ReportFilters()
                )

        async def raw_customers(i: int) -> None:
            async with engine.connect() as c:
                await c.execute(text(RAW_REPORT_CUSTOMERS), {"start": month(i).start, "end": month(i).end})

        for name, projected, raw in (
            ("dashboard", projected_dashboard, raw_dashboard),
            ("report day×product", projected_report, raw_report),
            ("report by customer", projected_customers, raw_customers),
        ):
            a, b = await timed(args.queries, projected), await timed(args.queries, raw)
            print(
                f"{name:19} projection p50 {pct(a, 0.5):7.1f} ms p95 {pct(a, 0.95):7.1f} ms"
                f" | plain SQL p50 {pct(b, 0.5):7.1f} ms p95 {pct(b, 0.95):7.1f} ms"
                f" | plain/projection p50 ×{statistics.median(b) / statistics.median(a):.1f}"
            )
            bench = {
                "name": f"{name} p95 at {args.positions:,} positions",
                "value": pct(a, 0.95),
                "unit": "ms",
                "baseline": pct(b, 0.95),
                "baseline_name": "plain SQL over raw rows",
            }
            print("BENCH " + json.dumps(bench))
        print(f"rebuild time {rebuild:.1f}s for {loaded} positions (Kafka fetch excluded)")
    finally:
        if not args.keep:
            async with engine.begin() as conn:
                for schema in (SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW):
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

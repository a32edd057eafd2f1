"""Analytics projections against plain SQL over raw positions, in one run, on a generated dataset.

    uv run python bench/analytics_bench.py [--positions 1000000] [--live-sample 20000] [--queries 30]

Generates canonical sales documents (shipments, retail sales, returns; ~5 positions each) spread over a year, and:
1. live path: publishes a sample to Kafka (topics of its own) and lets the real batch consumer
   (`EventConsumer.subscribe_batch` + `ProjectionBatch`, inbox, projection lock) apply it: events/s and positions/s,
   timed from the first applied batch to the last (the consumer-group join is excluded and printed apart);
2. rebuild path: all documents, from their Kafka bytes, through the rebuild's validation and bulk loader
   (COPY into staging, one pass to pick versions, roll-ups by GROUP BY, keys and indexes after the load): the
   rebuild time (Kafka fetch excluded) and positions/s;
3. asks the dashboard (a whole month against the period before it, and the default month to date on the 20th) and
   two sales reports (month by day and product; month by customer) of the projections, and
   the same questions as plain SQL over a raw positions table holding the same rows (bench/analytics_raw.py: a fair
   baseline, a UTC range on indexed ``moment`` computed from the Moscow business days): first checks that every
   answer is the same on both sides for every month (dashboard figures and top lists, report rows), then p50/p95
   and the ratios;
   The dashboard reads the coarse roll-ups (a business day's totals, a month per product and per customer, first
   sales); the live path keeps them by deltas, and after it the bench checks that they equal the sums of the live
   schema's facts (exit 1 if not), so both ways of keeping them are held to the facts;
4. the dashboard through the Redis ReportCache (real Redis): cold (every call a miss) and warm, with the hit ratio
   from ``analytics_report_cache_total``, next to the uncached dashboard in the same run.
Everything lives in scratch schemas `analytics_bench*` of DATABASE_URL and topics prefixed `bench-<random>.`, all
dropped at the end. Prints; asserts nothing about time, but exits non-zero (first differing row printed) if any
projected answer differs from the raw positions', or a cached dashboard from the computed one (the side checks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from analytics_raw import (  # bench/ is on sys.path when a bench script runs
    REPORT_CUSTOMERS,
    REPORT_DAY_PRODUCT,
    SCHEMA_RAW,
    create_raw_table,
    dashboard_difference,
    first_difference,
    load_raw,
    raw_dashboard,
    raw_report,
)
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from analytics_service.cache import CACHE, ReportCache
from analytics_service.checkpoints.repository import hold_projection_lock
from analytics_service.dashboard.report import build_dashboard
from analytics_service.dashboard.schemas import Dashboard
from analytics_service.db import Base, inbox, projection_tables
from analytics_service.periods import Period, PeriodKind, resolve
from analytics_service.pipeline.batch import ProjectionBatch
from analytics_service.pipeline.bulk import BulkLoader
from analytics_service.pipeline.rebuild import RebuildResult, prepare_records, prepare_schema
from analytics_service.sales.report import sales_report
from analytics_service.sales.rollups import DELTA_ROLLUPS
from analytics_service.sales.schemas import Dimension, ReportFilters, SortField, TimeGrouping
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import AssortmentKind, Document, DocumentKind, Position
from crm_common.events.topics import DEAD_LETTER, SALES
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.consumer import EventConsumer
from crm_common.resp import RespClient

SCHEMA_LIVE, SCHEMA_REBUILD = "analytics_bench_live", "analytics_bench"
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
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA_LIVE}" CASCADE'))
        await conn.execute(text(f'CREATE SCHEMA "{SCHEMA_LIVE}"'))
        live = await conn.execution_options(schema_translate_map={"analytics": SCHEMA_LIVE})
        await live.run_sync(lambda c: Base.metadata.create_all(c, tables=[*projection_tables(), inbox]))
        await create_raw_table(conn)


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


async def live_coarse_rollups_match_the_facts(engine: AsyncEngine) -> None:
    """The side check of the live path: every delta-kept roll-up holds exactly the sums of its facts (exit if not)."""
    async with engine.connect() as conn:
        for delta in DELTA_ROLLUPS:
            held = f"SELECT {', '.join(delta.key_names + delta.columns)} FROM {SCHEMA_LIVE}.{delta.table}"
            expected = delta.sums_sql(SCHEMA_LIVE)
            for a, b in ((held, expected), (expected, held)):
                extra = (await conn.execute(text(f"SELECT count(*) FROM ({a} EXCEPT {b}) x"))).scalar()
                if extra:
                    raise SystemExit(f"side check failed: {delta.table} of the live path differs from its facts")
    print(f"live path: {', '.join(d.table for d in DELTA_ROLLUPS)} = sums of the facts")


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


def month_to_date(i: int) -> tuple[Period, Period]:
    """The dashboard's default period on the 20th of month ``i``: the month to date, against the same days before."""
    return resolve(PeriodKind.MONTH, zone=ZoneInfo("Europe/Moscow"), as_of=month(i).start + timedelta(days=19))


Ask = Callable[[int], Awaitable[Any]]


def questions(engine: AsyncEngine, sessions: Any) -> list[tuple[str, Ask, Ask, Callable[[int, Any, Any], str | None]]]:
    """(name, projection, plain SQL, comparison) for each question the bench times: same answers, by different paths."""

    async def projected_dashboard(i: int) -> Any:
        async with sessions() as s:
            return await build_dashboard(s, month(i), month(i).before(), 10)

    async def plain_dashboard(i: int) -> Any:
        async with engine.connect() as c:
            return await raw_dashboard(c, month(i), month(i).before(), 10)

    async def projected_to_date(i: int) -> Any:
        async with sessions() as s:
            return await build_dashboard(s, *month_to_date(i), 10)

    async def plain_to_date(i: int) -> Any:
        async with engine.connect() as c:
            return await raw_dashboard(c, *month_to_date(i), 10)

    def report(time_: TimeGrouping, dimension: Dimension, sort: SortField, descending: bool) -> Ask:
        async def ask(i: int) -> Any:
            async with sessions() as s:
                found = await sales_report(
                    s,
                    month(i),
                    time=time_,
                    dimension=dimension,
                    filters=ReportFilters(),
                    sort=sort,
                    descending=descending,
                )
            return [r.model_dump() for r in found.rows]

        return ask

    def plain(sql: str) -> Ask:
        async def ask(i: int) -> Any:
            async with engine.connect() as c:
                return await raw_report(c, sql, month(i))

        return ask

    def rows(name: str) -> Callable[[int, Any, Any], str | None]:
        return lambda i, projected, raw: first_difference(f"{name} {month(i)}", projected, raw)

    return [
        (
            "dashboard",
            projected_dashboard,
            plain_dashboard,
            lambda i, projected, raw: dashboard_difference(f"dashboard {month(i)}", projected, raw),
        ),
        (
            "dashboard, 20 days",
            projected_to_date,
            plain_to_date,
            lambda i, projected, raw: dashboard_difference(f"dashboard to {month_to_date(i)[0]}", projected, raw),
        ),
        (
            "report day×product",
            report(TimeGrouping.DAY, Dimension.PRODUCT, SortField.BUCKET, False),
            plain(REPORT_DAY_PRODUCT),
            rows("report day×product"),
        ),
        (
            "report by customer",
            report(TimeGrouping.NONE, Dimension.CUSTOMER, SortField.REVENUE, True),
            plain(REPORT_CUSTOMERS),
            rows("report by customer"),
        ),
    ]


async def same_answers(asked: list[tuple[str, Ask, Ask, Callable[[int, Any, Any], str | None]]]) -> None:
    """The side check: for every month, each question's projected answer equals the raw positions' (exit if not)."""
    for name, projected, raw, compare in asked:
        for i in range(12):
            difference = compare(i, await projected(i), await raw(i))
            if difference:
                print(f"MISMATCH {difference}")
                raise SystemExit(f"side check failed: {name} from the projections differs from the raw positions")
    print(f"projection = raw positions for every month of: {', '.join(q[0] for q in asked)}")


def bench_line(name: str, value: float, unit: str, baseline: float, baseline_name: str) -> None:
    figure = {"name": name, "value": value, "unit": unit, "baseline": baseline, "baseline_name": baseline_name}
    print("BENCH " + json.dumps(figure, ensure_ascii=False))


async def time_questions(asked: list[tuple[str, Ask, Ask, Any]], n: int, positions: int) -> None:
    for name, projected, raw, _ in asked:
        a, b = await timed(n, projected), await timed(n, raw)
        print(
            f"{name:19} projection p50 {pct(a, 0.5):7.1f} ms p95 {pct(a, 0.95):7.1f} ms"
            f" | plain SQL p50 {pct(b, 0.5):7.1f} ms p95 {pct(b, 0.95):7.1f} ms"
            f" | plain/projection p95 ×{pct(b, 0.95) / pct(a, 0.95):.1f}"
        )
        bench_line(
            f"{name} p95 at {positions:,} positions", pct(a, 0.95), "ms", pct(b, 0.95), "plain SQL, indexed range"
        )


def cache_count(outcome: str) -> float:
    return float(CACHE.labels("dashboard", outcome)._value.get())


async def time_cache(sessions: Any, n: int) -> None:
    """The dashboard through the ReportCache (real Redis): cold (every call a miss) and warm, against no cache."""
    redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    run = f"analytics-bench:{uuid.uuid4().hex[:8]}"

    async def cached(cache: ReportCache, i: int) -> Any:
        p, q = month(i), month(i).before()
        async with sessions() as s:
            params = {"current": p, "previous": q, "top": 10}
            compute = lambda c: build_dashboard(c, p, q, 10)  # noqa: E731
            body = await cache.get_or_compute_json(lambda: nullcontext(s), "dashboard", params, compute, Dashboard)
            return orjson.loads(body)

    async def uncached(i: int) -> Any:
        async with sessions() as s:
            return await build_dashboard(s, month(i), month(i).before(), 10)

    resp = RespClient(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    warm = ReportCache(resp, timedelta(minutes=5), prefix=f"{run}:warm")
    try:
        plain = await timed(n, uncached)
        cold = await timed(n, lambda i: cached(ReportCache(resp, timedelta(minutes=5), prefix=f"{run}:{i}"), i))
        for i in range(12):  # prime
            await cached(warm, i)
        hits, misses = cache_count("hit"), cache_count("miss")
        hot = await timed(n, lambda i: cached(warm, i))
        hits, misses = cache_count("hit") - hits, cache_count("miss") - misses
        for i in range(12):  # the side check: a cached answer is the computed one
            if await cached(warm, i) != await uncached(i):
                raise SystemExit(f"side check failed: cached dashboard for {month(i)} differs from the computed one")
    finally:
        keys = [k async for k in redis.scan_iter(f"{run}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await resp.close()
    ratio = hits / max(hits + misses, 1)
    print(
        f"dashboard cache     uncached p95 {pct(plain, 0.95):7.1f} ms | cold p95 {pct(cold, 0.95):7.1f} ms"
        f" | warm p95 {pct(hot, 0.95):7.1f} ms, hit ratio {ratio:.2f} (analytics_report_cache_total)"
    )
    bench_line("dashboard p95, report cache cold", pct(cold, 0.95), "ms", pct(plain, 0.95), "no cache")
    bench_line(
        f"dashboard p95, report cache warm (hits {ratio:.0%})", pct(hot, 0.95), "ms", pct(plain, 0.95), "no cache"
    )


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
    engine = create_engine(settings.database_url, SCHEMA_REBUILD, pool_size=4, jit=settings.db_jit)  # as a service does
    try:
        t = time.perf_counter()
        messages, raw_rows = generate(args.positions)
        print(f"generated {len(messages)} documents / {len(raw_rows)} positions in {time.perf_counter() - t:.1f}s")
        # the bench's schemas view some of the service's own tables: its schema must be at the latest revision
        migrate = await asyncio.create_subprocess_exec("crm-analytics", "migrate")
        if await migrate.wait() != 0:
            raise SystemExit("crm-analytics migrate failed")
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
        await live_coarse_rollups_match_the_facts(engine)
        rebuild, finish, loaded = await apply_rebuild(engine, settings, messages, args.batch)
        print(
            f"rebuild path: {len(messages)} events / {loaded} positions in {rebuild:.1f}s "
            f"(of which finish: versions, roll-ups, keys, indexes {finish:.1f}s) = "
            f"{len(messages) / rebuild:,.0f} events/s, {loaded / rebuild:,.0f} positions/s"
        )
        del raw_rows, messages
        sessions = translated(engine, SCHEMA_REBUILD)
        asked = questions(engine, sessions)
        await same_answers(asked)  # a fast projection that answers wrongly is no result: checked before timing
        await time_questions(asked, args.queries, args.positions)
        await time_cache(sessions, args.queries)
        print(f"rebuild time {rebuild:.1f}s for {loaded} positions (Kafka fetch excluded)")
    finally:
        if not args.keep:
            async with engine.begin() as conn:
                for schema in (SCHEMA_LIVE, SCHEMA_REBUILD, SCHEMA_RAW):
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

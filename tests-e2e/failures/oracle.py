"""What "the same final state as an undisturbed run" means, measured on the services' own schemas and on Kafka.

* `snapshot(db)`: every business table of catalog, inventory and analytics as a digest of its rows (columns that
  record *when* something happened on this machine are left out) plus counts and money totals to print.
* `delivery_report(...)`: per consumer group, the distinct event ids on the topics it reads versus its inbox
  (`processed_events`) and its dead letters. Nothing lost = every id is in one of the two; nothing counted twice =
  the roll-ups (the daily ones and the dashboard's coarse ones) still equal the sums of their facts, and the totals
  equal the baseline's.
* `wait_settled(...)`: the connector's jobs are over, every group has consumed to the end, outboxes are drained and
  two snapshots in a row agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from crm_common.messaging.replay import topic_partitions

# schema.table -> columns left out of the digest (wall-clock of this run, not data)
TABLES: dict[str, tuple[str, ...]] = {
    "catalog.folders": (),
    "catalog.products": (),
    "catalog.product_prices": (),
    "catalog.variants": (),
    "inventory.stores": (),
    "inventory.folders": (),
    "inventory.assortment": (),
    "inventory.stock": ("as_of", "source_version"),
    "inventory.low_stock_state": ("raised_at", "changed_at"),
    "analytics.products": (),
    "analytics.variants": (),
    "analytics.folders": (),
    "analytics.stores": (),
    "analytics.counterparties": (),
    "analytics.documents": (),
    "analytics.sales_facts": (),
    "analytics.sales_daily_products": (),
    "analytics.sales_daily_customers": (),
    "analytics.stock_levels": ("as_of", "source_version"),
}
# counted and printed, not compared: they also record the run's own history (sync jobs, restarts)
HISTORY = ("analytics.alerts", "inventory.outbox", "moysklad.sync_jobs", "moysklad.dead_letters")
GROUPS = ("catalog", "inventory", "analytics")
# printed when a snapshot holds them (the tables a CRM's events feed, tests with a Bitrix24 portal)
CRM_METRICS = ("analytics.pipelines", "analytics.deals", "analytics.deal_stages", "analytics.customer_members")


def pg_dsn(url: str) -> str:
    parsed = make_url(url)
    return f"postgresql://{parsed.username}:{parsed.password}@{parsed.host}:{parsed.port or 5432}/{parsed.database}"


async def _fetch(url: str, queries: dict[str, str]) -> dict[str, list[asyncpg.Record]]:
    conn = await asyncpg.connect(pg_dsn(url), timeout=10)
    try:
        return {name: await conn.fetch(sql) for name, sql in queries.items()}
    finally:
        await conn.close()


def fetch(url: str, queries: dict[str, str]) -> dict[str, list[asyncpg.Record]]:
    return asyncio.run(_fetch(url, queries))


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value if isinstance(value, int | float | bool | type(None)) else str(value)


@dataclass
class Snapshot:
    digests: dict[str, str]
    counts: dict[str, int]
    rows: dict[str, list[str]] = field(repr=False)
    totals: dict[str, Decimal]
    inbox: dict[str, int]
    rollup_mismatches: list[str]

    def metrics(self) -> dict[str, Any]:
        """What a test prints before and after a failure."""
        keys = (
            "catalog.products",
            "catalog.variants",
            "inventory.stock",
            "inventory.stores",
            "analytics.documents",
            "analytics.sales_facts",
            "analytics.stock_levels",
        )
        return {
            **{k: self.counts.get(k, 0) for k in keys},
            **{f"inbox.{g}": n for g, n in self.inbox.items()},
            **{k: self.totals[k] for k in ("revenue", "profit", "quantity") if k in self.totals},
            **{k: self.counts.get(k, 0) for k in ("analytics.alerts", "moysklad.sync_jobs")},
            **{k: self.counts[k] for k in CRM_METRICS if k in self.rows},
        }

    def differences(self, other: Snapshot, limit: int = 8) -> list[str]:
        """Tables whose rows differ from ``other``'s, with a few rows only one side has."""
        out = []
        for table in self.rows:
            if self.digests.get(table) == other.digests.get(table):
                continue
            mine, theirs = Counter(self.rows.get(table, [])), Counter(other.rows.get(table, []))
            extra, missing = list((mine - theirs).elements()), list((theirs - mine).elements())
            out.append(
                f"{table}: {self.counts.get(table)} rows vs {other.counts.get(table)} expected; "
                f"{len(extra)} unexpected, {len(missing)} missing\n"
                + "".join(f"    + {r[:300]}\n" for r in extra[:limit])
                + "".join(f"    - {r[:300]}\n" for r in missing[:limit])
            )
        return out


ROLLUP_CHECKS = {
    "sales_daily_products": """
        with f as (select business_day, assortment_id, store_id,
                          sum(case when quantity > 0 then quantity else 0 end) sold,
                          sum(case when quantity < 0 then -quantity else 0 end) returned,
                          sum(revenue) revenue, sum(cost) cost, sum(profit) profit
                   from analytics.sales_facts group by 1, 2, 3)
        select coalesce(d.business_day, f.business_day)::text as bday, coalesce(d.assortment_id, f.assortment_id) a,
               d.revenue d_rev, f.revenue f_rev, d.profit d_profit, f.profit f_profit
        from analytics.sales_daily_products d
        full join f using (business_day, assortment_id, store_id)
        where d.revenue is distinct from f.revenue and not (coalesce(d.revenue, 0) = 0 and f.revenue is null)
           or d.profit is distinct from f.profit and not (coalesce(d.profit, 0) = 0 and f.profit is null)
        limit 20""",
    "sales_daily_customers": """
        with f as (select business_day, customer_id, sum(revenue) revenue, sum(profit) profit
                   from analytics.sales_facts group by 1, 2)
        select coalesce(d.business_day, f.business_day)::text as bday, coalesce(d.customer_id, f.customer_id) c,
               d.revenue d_rev, f.revenue f_rev
        from analytics.sales_daily_customers d
        full join f using (business_day, customer_id)
        where d.revenue is distinct from f.revenue and not (coalesce(d.revenue, 0) = 0 and f.revenue is null)
        limit 20""",
    # The dashboard's coarse roll-ups are kept by deltas: a row exists exactly while facts fall into it.
    "sales_daily_totals": """
        with f as (select business_day, sum(revenue) revenue, sum(profit) profit, count(distinct document_id) docs
                   from analytics.sales_facts group by 1)
        select coalesce(d.business_day, f.business_day)::text as bday, d.revenue d_rev, f.revenue f_rev,
               d.sales_docs + d.return_docs d_docs, f.docs f_docs
        from analytics.sales_daily_totals d
        full join f using (business_day)
        where d.revenue is distinct from f.revenue or d.profit is distinct from f.profit
           or d.sales_docs + d.return_docs is distinct from f.docs
        limit 20""",
    "sales_monthly_products": """
        with f as (select date_trunc('month', business_day::timestamp)::date as month, assortment_id, product_id,
                          sum(revenue) revenue, sum(profit) profit
                   from analytics.sales_facts group by 1, 2, 3)
        select coalesce(d.month, f.month)::text as month, coalesce(d.assortment_id, f.assortment_id) a,
               d.revenue d_rev, f.revenue f_rev
        from analytics.sales_monthly_products d
        full join f using (month, assortment_id, product_id)
        where d.revenue is distinct from f.revenue or d.profit is distinct from f.profit
        limit 20""",
    "sales_monthly_customers": """
        with f as (select date_trunc('month', business_day::timestamp)::date as month, customer_id, sum(revenue) revenue
                   from analytics.sales_facts group by 1, 2)
        select coalesce(d.month, f.month)::text as month, coalesce(d.customer_id, f.customer_id) c,
               d.revenue d_rev, f.revenue f_rev
        from analytics.sales_monthly_customers d
        full join f using (month, customer_id)
        where d.revenue is distinct from f.revenue
        limit 20""",
}


def snapshot(database_url: str, tables: Mapping[str, tuple[str, ...]] = TABLES) -> Snapshot:
    """The business tables ``tables`` (name -> wall-clock columns left out), counts, totals, inboxes, roll-ups."""
    queries = {table: f"select * from {table}" for table in tables}
    queries |= {f"count:{table}": f"select count(*) from {table}" for table in HISTORY}
    queries |= {f"inbox:{s}": f"select count(*) from {s}.processed_events" for s in GROUPS}
    queries["totals"] = (
        "select coalesce(sum(revenue), 0) revenue, coalesce(sum(profit), 0) profit, "
        "coalesce(sum(quantity), 0) quantity, coalesce(sum(cost), 0) cost from analytics.sales_facts"
    )
    queries |= {f"rollup:{name}": sql for name, sql in ROLLUP_CHECKS.items()}
    result = fetch(database_url, queries)
    digests, counts, rows = {}, {}, {}
    for table, skipped in tables.items():
        lines = sorted(
            json.dumps(
                {k: _canonical(v) for k, v in dict(r).items() if k not in skipped},
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            )
            for r in result[table]
        )
        rows[table] = lines
        counts[table] = len(lines)
        digests[table] = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    for table in HISTORY:
        counts[table] = int(result[f"count:{table}"][0][0])
    totals = {k: Decimal(v) for k, v in dict(result["totals"][0]).items()}
    mismatches = [f"{name}: {dict(r)}" for name in ROLLUP_CHECKS for r in result[f"rollup:{name}"]]
    inbox = {s: int(result[f"inbox:{s}"][0][0]) for s in GROUPS}
    return Snapshot(digests, counts, rows, totals, inbox, mismatches)


# --------------------------------------------------------------------------------------------------------- kafka


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    def event_id(self) -> str | None:
        try:
            return str(json.loads(self.value or b"")["event_id"])
        except (ValueError, KeyError, TypeError):
            return None

    def event_type(self) -> str | None:
        try:
            return str(json.loads(self.value or b"")["event_type"])
        except (ValueError, KeyError, TypeError):
            return None


async def _read_all(servers: str, topics: Sequence[str]) -> list[Record]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, group_id=None, request_timeout_ms=30_000
    )
    partitions = await topic_partitions(servers, topics)
    if not partitions:
        return []
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Record] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                break
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp_records in batch.values():
                for r in tp_records:
                    headers = {k: (v or b"").decode(errors="replace") for k, v in (r.headers or ())}
                    records.append(Record(r.topic, r.partition, r.offset, r.key, r.value, headers))
        return records
    finally:
        await consumer.stop()


def read_all(servers: str, topics: Sequence[str]) -> list[Record]:
    return asyncio.run(_read_all(servers, topics))


async def _lag(servers: str, groups: dict[str, Sequence[str]]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=10_000)
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False, group_id=None)
    every = await topic_partitions(servers, sorted({t for topics in groups.values() for t in topics}))
    await admin.start()
    await consumer.start()
    try:
        out = {}
        for group, topics in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            partitions = [tp for tp in every if tp.topic in topics]
            ends = await consumer.end_offsets(partitions)
            out[group] = sum(max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items())
        return out
    finally:
        await consumer.stop()
        await admin.close()


def lag(servers: str, groups: dict[str, Sequence[str]]) -> dict[str, int]:
    """Messages each group has not committed yet, over the topics it reads (group id and topic names prefixed)."""
    return asyncio.run(_lag(servers, groups))

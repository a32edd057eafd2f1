"""A real-sized shop end to end: the first full sync of ``--scale`` through the whole system with MoySklad's rate
limits on, timed until every consumer has caught up, then checked against the simulator's own figures.

    uv run python bench/scale.py [--scale large] [--seed 4242]

Figures, all from one run (BENCH lines, each next to a baseline measured in the same run):

* sync time (the connector's full-sync job, start to finish) next to the rate-limit floor for the requests it really
  made: the simulator counts every request and the units MoySklad's bucket charged for it (``GET /__sim/stats``);
  the floor is the fewest seconds the bucket admits those units in (a full bucket at the start, then its units per
  window) — measured, not computed from a setting;
* total wall time (job start → every consumer group at lag 0) next to the same floor: the goal is ≤ 1.15× (the
  services never the bottleneck);
* the drain tail of each consumer (catalog, inventory, analytics): job finished → its group at lag 0, next to the
  sync time;
* peak RSS of every service process next to its RSS just after start, and the PostgreSQL database's size next to the
  bytes the connector published.

Side checks (exit 1): the job succeeded and nothing was dead-lettered; the answers are right — served through the
gateway, the catalog's product count, stock per store, the sale and return documents and the customers who bought
(the dashboard over the whole history), revenue and profit per month equal the simulator's own data
(generated from the same seed; revenue computed here from its documents, profit from its profit report) to the kopeck
(stock to 0.001). Asserts nothing about time. At ``large`` (≈ 100k products, 240k documents, 1M positions) the sync
alone is bounded by the rate limit (tens of minutes); ``demo``/``small`` check the script itself in minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from memory_rss import RssSampler
from pipeline_system import (
    CONNECTOR,
    admin_token,
    bench_system,
    finished_full_sync,
    parse_time,
    start_connector,
)
from pipeline_throughput import dead_letters
from rate_limit import rate_limit_floor

from crm_common.events.topics import TOPICS
from crm_common.messaging.replay import topic_partitions
from gateway_service.health.lag import consumer_lag

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests-e2e" / "failures"))

from amounts import FIRST_DAY, KOPECK, LAST_DAY, RETURNS, SALES, from_api, from_simulator, revenue_by
from fidelity_cases import counted
from oracle import fetch

from moysklad_simulator import SimulatorState
from moysklad_simulator.profit import profit_by_product

CONSUMERS = ("catalog", "inventory", "analytics")
CATALOG_KINDS = ("product", "service", "bundle")  # what /api/v1/products lists (variants are their products')
GOAL = 1.15  # total wall time ÷ rate-limit floor (docs/operations.md, "Sizing")


def drained(servers: str, prefix: str, since: float, timeout: float) -> dict[str, float]:
    """When each consumer group first had committed everything (lag 0 on two polls in a row) after ``since``."""
    done: dict[str, float] = {}
    zero_since: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(CONSUMERS):
        if time.monotonic() > deadline:
            raise SystemExit(f"side check failed: {sorted(set(CONSUMERS) - set(done))} did not catch up in {timeout}s")
        now = time.time()
        lag = asyncio.run(consumer_lag(servers, prefix=prefix))
        for name in CONSUMERS:
            groups = [v for g, v in lag.items() if name in g[len(prefix) :]]
            if name in done or now < since:
                continue
            if groups and all(v["lag"] == 0 for v in groups):
                if name in zero_since:
                    done[name] = zero_since[name]
                zero_since.setdefault(name, now)
            else:
                zero_since.pop(name, None)
        time.sleep(0.5)
    return done


async def published_bytes(servers: str, prefix: str) -> int:
    """Bytes of every record value on this run's topics (read through once, nothing kept)."""
    partitions = await topic_partitions(servers, [f"{prefix}{topic.base_name}" for topic in TOPICS])
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        total = 0
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                total += sum(len(m.value or b"") for m in batch)
        return total
    finally:
        await consumer.stop()


def expected_months(state: SimulatorState) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Revenue per month from the simulator's documents (line by line, as the failure tier's oracle), profit per month
    from its own profit report over each month."""
    (revenue,) = revenue_by(state, lambda day, _: day[:7])
    profit: dict[str, Decimal] = {}
    month = FIRST_DAY
    while month <= LAST_DAY:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        last = min(LAST_DAY, date.fromordinal(following.toordinal() - 1))
        report = profit_by_product(state, f"{month} 00:00:00.000", f"{last} 23:59:59.999")
        total = sum(
            ((s["sellSum"] - s["sellCostSum"]) - (s["returnSum"] - s["returnCostSum"])) for s in report.values()
        )
        if round(total):
            profit[str(month)[:7]] = (Decimal(str(round(total))) / 100).quantize(KOPECK)
        month = following
    return revenue, profit


def expected_counts(state: SimulatorState) -> dict[str, int]:
    """Posted sale and return documents in the period (not drafts, not in the bin), and the customers who bought."""

    def posted(types: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            d
            for t in types
            for d in state.records(t)
            if counted(d) and FIRST_DAY <= date.fromisoformat(d["moment"][:10]) <= LAST_DAY
        ]

    sales = posted(SALES)
    buyers = {d["agent"].id for d in sales if d.get("agent") is not None}
    return {"sales_count": len(sales), "returns_count": len(posted(RETURNS)), "customers": len(buyers)}


def served_counts(get: Callable[..., Any]) -> dict[str, int]:
    body = get("/api/v1/analytics/dashboard", period="custom", date_from=str(FIRST_DAY), date_to=str(LAST_DAY))
    return {k: int(body["current"][k]) for k in ("sales_count", "returns_count", "customers")}


def served_months(get: Callable[..., Any]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    report = get(
        "/api/v1/analytics/sales/report",
        period="custom",
        date_from=str(FIRST_DAY),
        date_to=str(LAST_DAY),
        group_by_time="month",
        group_by="none",
        limit=100,
    )
    revenue = {r["bucket"][:7]: Decimal(r["revenue"]).quantize(KOPECK) for r in report["rows"] if Decimal(r["revenue"])}
    profit = {r["bucket"][:7]: Decimal(r["profit"]).quantize(KOPECK) for r in report["rows"] if Decimal(r["profit"])}
    return revenue, profit


def compare(name: str, served: dict[str, Decimal], expected: dict[str, Decimal], tolerance: Decimal) -> str | None:
    if not served or not expected:
        return f"{name}: nothing to compare ({len(served)} served, {len(expected)} expected)"
    wrong = [
        (k, served.get(k), expected.get(k))
        for k in sorted(set(served) | set(expected))
        if served.get(k) is None or expected.get(k) is None or abs(served[k] - expected[k]) > tolerance
    ]
    print(f"oracle {name}: {len(expected)} figures, {len(wrong)} differ")
    return f"{name}: {len(wrong)} differ, e.g. {wrong[:5]}" if wrong else None


def check_answers(gateway: str, login: Callable[[], str], state: SimulatorState) -> list[str]:
    """``login``: a fresh admin access token (asked again on 401: reading a large shop's answers outlasts one)."""
    headers = {"authorization": f"Bearer {login()}"}

    def get(path: str, **params: Any) -> Any:
        response = httpx.get(f"{gateway}{path}", params=params, headers=headers, timeout=300)
        if response.status_code == 401:
            headers["authorization"] = f"Bearer {login()}"
            response = httpx.get(f"{gateway}{path}", params=params, headers=headers, timeout=300)
        response.raise_for_status()
        return response.json()

    problems: list[str] = []
    products = get("/api/v1/products/", limit=1)["total"]
    expected_products = sum(len(state.records(kind)) for kind in CATALOG_KINDS)
    print(f"oracle products: {products} served, {expected_products} in the shop")
    if products != expected_products:
        problems.append(f"products: {products} served, {expected_products} in the shop")
    served, expected = from_api(get), from_simulator(state)
    problem = compare("stock per store", served.stock_per_store, expected.stock_per_store, Decimal("0.001"))
    problems += [problem] if problem else []
    counts, want_counts = served_counts(get), expected_counts(state)
    print(f"oracle documents and customers: {counts} served, {want_counts} in the shop")
    if counts != want_counts:
        problems.append(f"documents and customers: {counts} served, {want_counts} in the shop")
    (revenue, profit), (want_revenue, want_profit) = served_months(get), expected_months(state)
    for name, mine, theirs in (("revenue per month", revenue, want_revenue), ("profit per month", profit, want_profit)):
        problem = compare(name, mine, theirs, KOPECK)
        problems += [problem] if problem else []
    return problems


def bench_line(name: str, value: float, unit: str, baseline: float | None, baseline_name: str) -> None:
    figure = {"name": name, "value": value, "unit": unit, "baseline": baseline, "baseline_name": baseline_name}
    print("BENCH " + json.dumps(figure), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="for the sync and for the drain, each")
    args = parser.parse_args()
    problems: list[str] = []
    with bench_system(args.scale, seed=args.seed, webhooks=False, rate_limits=True, list_cache=True) as (sut, sim):
        sampler = RssSampler({n: p.popen.pid for n, p in sut.processes.items()}).start()
        httpx.delete(f"{sim.base_url}/__sim/stats", timeout=30).raise_for_status()
        start_connector(sut)
        sampler.watch(CONNECTOR, sut.processes[CONNECTOR].popen.pid)
        token = admin_token(sut)
        job = finished_full_sync(sut, token, timeout=args.timeout)
        stats = httpx.get(f"{sim.base_url}/__sim/stats", timeout=30).json()
        started, finished = parse_time(job["started_at"]), parse_time(job["finished_at"])
        servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
        caught_up = drained(servers, sut.topic_prefix, finished, args.timeout)
        sampler.stop()
        size = fetch(sut.database_url, {"size": "SELECT pg_database_size(current_database()) AS bytes"})["size"][0]
        published = asyncio.run(published_bytes(servers, sut.topic_prefix))
        lost = asyncio.run(dead_letters(servers, sut.topic_prefix))
        if lost:
            problems.append(f"dead letters: {lost}")
        # the figures first: a slow or failing oracle must not hide them
        report(args.scale, stats, started, finished, caught_up, sampler, size, published)
        problems += check_answers(sut.url("gateway"), lambda: admin_token(sut), sim.state)
    for problem in problems:
        print(f"side check failed: {problem}")
    return 1 if problems else 0


def report(
    scale: str,
    stats: dict[str, Any],
    started: float,
    finished: float,
    caught_up: dict[str, float],
    sampler: RssSampler,
    size: Any,
    published: int,
) -> None:
    sync, floor = finished - started, rate_limit_floor(stats)
    total = max(caught_up.values()) - started
    print(
        f"scale={scale}: full sync {sync:.0f}s for {stats['requests']} requests / {stats['units']} units "
        f"({stats['refused']} refused with 429); rate-limit floor for them {floor:.0f}s; to lag 0 {total:.0f}s "
        f"= {total / floor if floor else float('nan'):.2f}× the floor (goal ≤ {GOAL}×)"
    )
    bench_line(f"full sync ({scale})", sync, "s", floor, "rate-limit floor of its requests")
    bench_line(f"sync start → every consumer at lag 0 ({scale})", total, "s", floor, "rate-limit floor")
    for name in CONSUMERS:
        tail = max(0.0, caught_up[name] - finished)
        print(f"drain tail {name:10} {tail:7.1f}s after the sync finished")
        bench_line(f"drain tail {name} ({scale})", tail, "s", sync, "the full sync's time")
    for name in sorted(sampler.peak):
        peak, first = sampler.peak[name] / 1024, sampler.first[name] / 1024
        print(f"RSS {name:20} first {first:6.0f} MiB  peak {peak:6.0f} MiB")
        bench_line(f"peak RSS {name} ({scale})", peak, "MiB", first, "RSS just after start")
    print(f"PostgreSQL database {size['bytes'] / 2**20:.0f} MiB; events published {published / 2**20:.0f} MiB")
    bench_line(f"PostgreSQL size ({scale})", size["bytes"] / 2**20, "MiB", published / 2**20, "bytes published")


if __name__ == "__main__":
    raise SystemExit(main())

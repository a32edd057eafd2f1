"""Steady-state consumer throughput: each consuming service draining topics the connector filled beforehand, next to a
raw consume of the same topics by the same Kafka client library (aiokafka), in one run.

    uv run python bench/consumer_throughput.py [--scale small] [--replicas 1,2,3] [--py-spy DIR]

1. The simulator's shop at ``--scale`` (rate limits off, and a window announced 100 times MoySklad's, so the
   connector does not pace itself) is synced in full by the connector while catalog, inventory and analytics are
   not running: their topics fill up. The connector's peak RSS meanwhile is printed (it follows the largest
   document it holds).
2. Each consuming service is then started alone (so it has the machine to itself) and timed from the first event its
   consumers handled to the last (its /metrics, polled every 20 ms; the start-up and group join before it are printed
   apart): events/s, and for analytics positions/s (the positions of the documents on its topics).
3. Ceiling, same run, right after each service: the topic partitions that service's group committed, read from the
   beginning by a fresh aiokafka consumer group, every value decoded with orjson, offsets committed per batch:
   records/s.
4. With ``--replicas 1,2,3``: after that, each consuming service again, from an emptied schema and a fresh consumer
   group, as that many processes in one group (the way `replicas: N` runs it), timed like step 2 over the sum of
   their /metrics (a record redelivered by a rebalance counts again, and the number of such repeats is printed).
   Two cores for everything: this shows what more processes give on this machine, not on a cluster.
Side checks (exit non-zero): every group ends at lag 0 having handled at least the records on its partitions (a
batch redelivered by the start-up rebalance is handled twice, printed), and nothing was dead-lettered. Asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from memory_rss import RssSampler
from pipeline_system import (
    CONNECTOR,
    PORT_VARIABLES,
    System,
    admin_token,
    bench_system,
    finished_full_sync,
    free_port,
    start_connector,
    wait_ready,
)
from pipeline_throughput import dead_letters

from gateway_service.health.lag import consumer_lag

CONSUMERS = ("catalog", "inventory", "analytics")


async def committed_partitions(servers: str, group: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sorted(tp for tp, meta in offsets.items() if meta is not None and meta.offset >= 0)


def consumed(url: str) -> float:
    """Events the service's consumers handled so far (every outcome), from its /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(float(m.group(1)) for m in re.finditer(r"^crm_events_consumed_total\{[^}]*\} ([0-9.eE+]+)$", text, re.M))


def watch(sut: System, urls: list[str], group: str, label: str, timeout: float) -> tuple[float, float, float, int]:
    """Poll the processes at ``urls`` (their /metrics, summed, every 20 ms) until ``group`` is at lag 0 with nothing
    handled since: (when the first poll saw events handled, when the count last changed, events handled between,
    records on the partitions the group read). The events of the first poll that saw any are not counted: their time
    is not known. A record handled twice (redelivered by a rebalance) counts twice, and is printed."""
    servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
    group = sut.topic_prefix + group
    first: float | None = None
    first_count = last_count = last_change = 0.0
    lag_checked = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count, now = sum(consumed(url) for url in urls), time.monotonic()
        if count > last_count:
            if first is None:
                first, first_count = now, count
            last_change, last_count = now, count
        if first is not None and now - lag_checked > 1.0:
            lag_checked = now
            lag = asyncio.run(consumer_lag(servers, prefix=group)).get(group)
            settled = sum(consumed(url) for url in urls) == last_count  # read after the lag
            if lag is not None and lag["lag"] == 0 and settled:
                records = asyncio.run(record_count(servers, asyncio.run(committed_partitions(servers, group))))
                if last_count < records:
                    raise SystemExit(f"side check failed: {label} handled {last_count:.0f} of {records} records")
                if last_count > records:  # redelivered after a rebalance; the inbox drops them
                    print(f"{label}: {last_count - records:.0f} records handled twice (rebalances)")
                return first, last_change, last_count - first_count, records
        time.sleep(0.02)
    raise SystemExit(f"side check failed: {label} did not reach lag 0 in {timeout}s")


SPY = shutil.which("py-spy") or str(Path.home() / ".local" / "bin" / "py-spy")


def drain(sut: System, service: str, timeout: float = 3600, spy: Path | None = None) -> tuple[float, float, int, int]:
    """Start ``service``; (seconds from spawn to the first events it handled, seconds from then to its last, events
    handled in that time, records on the partitions its group read), polled by ``watch``. With ``spy``, py-spy
    samples the process from ready to lag 0 into ``spy/<service>.txt`` (collapsed stacks, ``--format raw``)."""
    spawned = time.monotonic()
    process = sut.spawn(service, sut.ports[service], f"crm-{service}", "serve")
    wait_ready(process, timeout=300)
    recorder = None
    if spy is not None:
        spy.mkdir(parents=True, exist_ok=True)
        argv = [SPY, "record", "--format", "raw", "--nonblocking", "-r", "100", "--pid", str(process.popen.pid)]
        recorder = subprocess.Popen([*argv, "-o", str(spy / f"{service}.txt")], stdout=subprocess.DEVNULL)
    try:
        first, last, handled, records = watch(sut, [sut.url(service)], service, service, timeout)
    finally:
        if recorder is not None:  # py-spy writes what it sampled on SIGINT
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
    return first - spawned, last - first, int(handled), records


async def empty_schema(database_url: str, schema: str) -> None:
    """Every table of ``schema`` emptied (its migrations' record kept): the next run starts from nothing."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'alembic_version'", schema
        )
        names = ", ".join(f'"{schema}"."{t["tablename"]}"' for t in tables)
        if names:
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


def drain_replicas(sut: System, service: str, replicas: int, timeout: float = 3600) -> tuple[float, float, int]:
    """(seconds from the first poll that saw events handled by any of ``replicas`` processes to the last change,
    events handled in that time, records on the partitions) for ``service`` run as that many processes in a fresh
    group over an emptied schema, counted like ``drain``; the processes stop after."""
    group = f"{service}-x{replicas}"
    asyncio.run(empty_schema(sut.env["DATABASE_URL"], service))
    names = [f"{service}-r{replicas}-{n}" for n in range(replicas)]
    for name in names:
        port = free_port()
        env = {PORT_VARIABLES[service]: str(port), f"{service.upper()}_CONSUMER_GROUP": group}
        sut.spawn(name, port, f"crm-{service}", "serve", extra_env=env)
    try:
        for name in names:
            wait_ready(sut.processes[name], timeout=300)
        urls = [sut.url(name) for name in names]
        first, last, handled, records = watch(sut, urls, group, f"{replicas}× {service}", timeout)
        return last - first, handled, records
    finally:
        for name in names:
            sut.kill(name, signal.SIGTERM)


async def record_count(servers: str, partitions: list[TopicPartition]) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends, starts = await consumer.end_offsets(partitions), await consumer.beginning_offsets(partitions)
        return sum(ends[tp] - starts[tp] for tp in partitions)
    finally:
        # aiokafka's group-less consumer can raise CancelledError from its own coordinator task while stopping
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def raw_consume(servers: str, partitions: list[TopicPartition]) -> tuple[int, int, float]:
    """(records, positions, seconds) for a fresh group reading ``partitions`` from the start, decoding each value."""
    topics = sorted({tp.topic for tp in partitions})
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=servers,
        group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=5000,
    )
    await consumer.start()
    try:
        wanted = set(partitions)
        ends = await consumer.end_offsets(partitions)
        total = sum(ends.values())  # offsets start at 0 on these fresh topics
        seen = positions = 0
        started = time.perf_counter()
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, batch in batches.items():
                if tp not in wanted:
                    continue
                for message in batch:
                    event = orjson.loads(message.value) if message.value else {}
                    positions += len((event.get("payload") or {}).get("positions") or ())
                seen += len(batch)
            await consumer.commit()
        return seen, positions, time.perf_counter() - started
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument(
        "--replicas", default="", help="e.g. 1,2,3: also each service as that many processes in one group (step 4)"
    )
    parser.add_argument("--py-spy", metavar="DIR", type=Path, help="sample each service's drain with py-spy into DIR")
    args = parser.parse_args()
    if args.py_spy and not Path(SPY).exists():
        parser.error("--py-spy needs py-spy on PATH or in ~/.local/bin (uv tool install py-spy)")
    replica_counts = [int(n) for n in args.replicas.split(",") if n.strip()]
    lines: list[dict[str, Any]] = []
    # The sync only fills the topics (its speed is not a figure here): the simulator announces a window 100 times
    # MoySklad's, so the connector does not pace itself for half an hour at `medium`.
    with bench_system(args.scale, webhooks=False, defer=CONSUMERS, list_cache=True, window_units=4500) as (sut, _sim):
        servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
        start_connector(sut)
        sampler = RssSampler({CONNECTOR: sut.processes[CONNECTOR].popen.pid}).start()
        job = finished_full_sync(sut, admin_token(sut), timeout=3600)
        sampler.stop()
        first, peak = sampler.first[CONNECTOR] / 1024, sampler.peak[CONNECTOR] / 1024
        print(f"scale={args.scale}: the full sync published {sum(job['counts'].values())} events")
        print(f"connector RSS while it filled the topics: peak {peak:,.0f} MiB (just after start: {first:,.0f} MiB)")
        lines.append(
            {
                "name": f"connector peak RSS during the full sync ({args.scale})",
                "value": peak,
                "unit": "MiB",
                "baseline": first,
                "baseline_name": "its RSS just after start",
            }
        )
        for service in CONSUMERS:
            joined, seconds, timed, records = drain(sut, service, spy=args.py_spy)
            partitions = asyncio.run(committed_partitions(servers, sut.topic_prefix + service))
            raw_records, positions, raw_seconds = asyncio.run(raw_consume(servers, partitions))
            if not seconds or not timed:
                raise SystemExit(
                    f"{service}: all {records} events were handled within one 20 ms poll; use a larger scale"
                )
            rate, ceiling = timed / seconds, raw_records / raw_seconds
            print(
                f"{service}: {timed} of its {records} events in {seconds:.2f}s after a {joined:.1f}s start "
                f"= {rate:,.0f} events/s; "
                f"raw aiokafka consume of the same {raw_records} records: {ceiling:,.0f} records/s "
                f"({rate / ceiling:.2f}×)"
            )
            lines.append(
                {
                    "name": f"{service} steady-state consume ({args.scale}, {records} events)",
                    "value": rate,
                    "unit": "events/s",
                    "baseline": ceiling,
                    "baseline_name": "raw aiokafka consume + decode of the same partitions",
                }
            )
            if service == "analytics" and positions:
                lines.append(
                    {
                        "name": f"analytics steady-state positions ({args.scale}, {positions} positions)",
                        "value": positions * timed / records / seconds,
                        "unit": "positions/s",
                        "baseline": positions / raw_seconds,
                        "baseline_name": "raw aiokafka consume + decode of the same partitions",
                    }
                )
        for service in CONSUMERS if replica_counts else ():
            sut.kill(service, signal.SIGTERM)  # the single process of steps 2-3: the replicas run alone
            single: float | None = None
            for replicas in replica_counts:
                seconds, timed, records = drain_replicas(sut, service, replicas)
                if not seconds or not timed:
                    raise SystemExit(f"{service} × {replicas}: handled within one poll; use a larger scale")
                rate = timed / seconds
                single = rate if single is None else single
                print(f"{service} × {replicas}: {timed:.0f} of its {records} records in {seconds:.2f}s = {rate:,.0f}/s")
                lines.append(
                    {
                        "name": f"{service} with {replicas} replica(s) ({args.scale}, {records} records)",
                        "value": rate,
                        "unit": "events/s",
                        "baseline": single,
                        "baseline_name": f"{service} with {replica_counts[0]} replica(s), same run",
                    }
                )
        dead = asyncio.run(dead_letters(servers, sut.topic_prefix))
        if dead:
            raise SystemExit(f"side check failed: {dead} events were dead-lettered during the run")
    for line in lines:
        print("BENCH " + json.dumps(line))


if __name__ == "__main__":
    main()

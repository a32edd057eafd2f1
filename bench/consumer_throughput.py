"""Steady-state consumer throughput: each consuming service draining topics the connector filled beforehand, next to a
raw consume of the same topics by the same Kafka client library (aiokafka), in one run.

    uv run python bench/consumer_throughput.py [--scale small] [--replicas 1,2,3] [--py-spy DIR] [--before GIT_REF]

1. The simulator's shop at ``--scale`` (rate limits off, and a window announced 100 times MoySklad's, so the
   connector does not pace itself) is synced in full by the connector while catalog, inventory and analytics are
   not running: their topics fill up. The connector's peak RSS meanwhile is printed (it follows the largest
   document it holds).
2. Each consuming service is then started alone (so it has the machine to itself, once the machine is idle and the
   database vacuumed: ``quiet``) and timed from the first event its consumers handled to the last (its /metrics,
   polled every 100 ms; the start-up and group join before it are printed apart): events/s, and for analytics
   positions/s (the positions of the documents on its topics).
3. Ceiling, same run, right after each service: the topic partitions that service's group committed, read from the
   beginning by a fresh aiokafka consumer group, every value decoded with orjson, offsets committed per batch:
   records/s.
   Where the CPU went meanwhile is printed per event: the service's process, PostgreSQL's processes, the Kafka
   broker, and how many of the machine's cores were busy (from /proc): what a faster service could still gain; and
   the service's peak RSS while it drained (with ``--before``, the larger of each side's two drains).
   With ``--before GIT_REF``, each service is drained four times, in the order: as of that commit (its sources from
   ``git archive`` first on ``PYTHONPATH``), as it is now, as it is now again, as of that commit again; each drain in
   a consumer group of its own, into a database of its own freshly migrated, after the run's database was vacuumed
   and no autovacuum worker ran. The ratio of the two sides' totals is the change's, measured over the same topics in
   the same run. Both precautions are measured: with one drain each, the second into the run's database over a
   schema emptied by ``TRUNCATE``, an A/A run (``--before HEAD``, the same code on both sides) gave inventory 0.75×;
   each into a fresh database, but still one each, 0.95-1.28×. With four drains, three A/A runs at ``medium`` gave
   catalog 1.10, 1.12, 0.85×, inventory 1.02, 0.97, 1.14×, analytics 0.97, 1.14, 1.12×: single drains of the same
   code differ by up to ±20% on this machine, so one run resolves a change of about 15% or more, no finer. Every
   topic is read once before the first drain (a warm-up, added after those runs: the run's very first drain had been
   its service's slowest in three runs of four).
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
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from before_ref import before_path, unpack
from http_load import cpu_seconds
from memory_rss import RssSampler
from pipeline_system import (
    BIN,
    CONNECTOR,
    PORT_VARIABLES,
    System,
    admin_token,
    bench_system,
    finished_full_sync,
    free_port,
    fresh_database,
    start_connector,
    wait_ready,
)
from pipeline_throughput import dead_letters

from gateway_service.health.lag import consumer_lag

CONSUMERS = ("catalog", "inventory", "analytics")
# Seconds between two reads of a service's /metrics while it drains. A read costs the service about 2 ms of CPU
# (measured): every 20 ms that was a tenth of the core it was being measured on.
POLL = 0.1


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


def machine_busy(*, waiting: bool = False) -> float:
    """CPU seconds the whole machine spent busy (every core, everything but idle and I/O wait), from /proc/stat; with
    ``waiting`` the seconds spent in I/O wait counted too."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - (0 if waiting else fields[4])) / os.sysconf("SC_CLK_TCK")


async def machine_idle(timeout: float = 60, cores: float = 0.25) -> None:
    """Wait until a second passes with the machine busy (I/O wait included) less than ``cores``: after the sync, the
    writes of its ~200,000 events still reaching the disk made the first drain the slowest in every A/A run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = machine_busy(waiting=True)
        await asyncio.sleep(1.0)
        if machine_busy(waiting=True) - before < cores:
            return


def infrastructure_pids() -> dict[str, list[int]]:
    """The PostgreSQL server's processes and the Kafka broker's, found in /proc by name (the bench's own infra)."""
    found: dict[str, list[int]] = {"PostgreSQL": [], "Kafka": []}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes() if comm == "java" else b""
        except OSError:
            continue
        if comm in ("postgres", "postmaster"):
            found["PostgreSQL"].append(int(entry))
        elif b"kafka.Kafka" in cmdline:
            found["Kafka"].append(int(entry))
    return found


class CpuSplit:
    """CPU seconds spent between ``start`` and ``stop`` by the watched processes (each with its live children), by
    role, and by the whole machine."""

    def __init__(self, services: list[int]) -> None:
        self.roles = {"service": services, **infrastructure_pids()}
        self.before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        # PostgreSQL's backends are children of its postmaster and also listed on their own: each pid once, alone.
        alone = {
            role: sum(cpu_seconds(pid, descendants=False) for pid in pids)
            for role, pids in self.roles.items()
            if role != "service"
        }
        return {"service": sum(cpu_seconds(pid) for pid in self.roles["service"]), **alone, "machine": machine_busy()}

    def start(self) -> None:
        self.roles.update(infrastructure_pids())  # backends opened since
        self.before = self._now()

    def stop(self) -> None:
        now = self._now()
        self.spent = {role: now[role] - self.before.get(role, 0.0) for role in now}

    def per_event(self, events: float, seconds: float) -> str:
        """The split as printed: µs of CPU per event by role, and the cores the machine kept busy on average."""
        parts = ", ".join(f"{role} {self.spent[role] * 1e6 / events:,.0f}" for role in self.spent if role != "machine")
        cores = self.spent["machine"] / seconds if seconds else 0.0
        return f"CPU per event (µs): {parts}; the machine busy {cores:.2f} of {os.cpu_count()} cores"


# What a drain gives: seconds from spawn to its first events handled, seconds from then to its last, events handled in
# that time, records on the partitions its group read, the CPU spent, the process's peak RSS (MiB).
Drained = tuple[float, float, int, int, CpuSplit, float]


def watch(
    sut: System, names: list[str], group: str, label: str, timeout: float
) -> tuple[float, float, float, int, CpuSplit]:
    """Poll the processes ``names`` (their /metrics, summed, every ``POLL`` seconds) until ``group`` is at lag 0 with
    nothing handled since: (when the first poll saw events handled, when the count last changed, events handled between,
    records on the partitions the group read, the CPU spent from that first poll to lag 0). The events of the first
    poll that saw any are not counted: their time is not known. A record handled twice (redelivered by a rebalance)
    counts twice, and is printed."""
    servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
    group = sut.topic_prefix + group
    urls = [sut.url(name) for name in names]
    cpu = CpuSplit([sut.processes[name].popen.pid for name in names])
    first: float | None = None
    first_count = last_count = last_change = 0.0
    lag_checked = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count, now = sum(consumed(url) for url in urls), time.monotonic()
        if count > last_count:
            if first is None:
                first, first_count = now, count
                cpu.start()
            last_change, last_count = now, count
        if first is not None and now - lag_checked > 1.0:
            lag_checked = now
            lag = asyncio.run(consumer_lag(servers, prefix=group)).get(group)
            settled = sum(consumed(url) for url in urls) == last_count  # read after the lag
            if lag is not None and lag["lag"] == 0 and settled:
                cpu.stop()
                records = asyncio.run(record_count(servers, asyncio.run(committed_partitions(servers, group))))
                if last_count < records:
                    raise SystemExit(f"side check failed: {label} handled {last_count:.0f} of {records} records")
                if last_count > records:  # redelivered after a rebalance; the inbox drops them
                    print(f"{label}: {last_count - records:.0f} records handled twice (rebalances)")
                return first, last_change, last_count - first_count, records, cpu
        time.sleep(POLL)
    raise SystemExit(f"side check failed: {label} did not reach lag 0 in {timeout}s")


SPY = shutil.which("py-spy") or str(Path.home() / ".local" / "bin" / "py-spy")


def drain(
    sut: System,
    service: str,
    timeout: float = 3600,
    spy: Path | None = None,
    *,
    name: str | None = None,
    group: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Drained:
    """Start ``service`` (as process ``name``, in consumer group ``group``: both the service's name by default);
    (seconds from spawn to the first events it handled, seconds from then to its last, events handled in that time,
    records on the partitions its group read, the CPU spent), polled by ``watch``. With ``spy``, py-spy samples the
    process from ready to lag 0 into ``spy/<name>.txt`` (collapsed stacks, ``--format raw``)."""
    name, group = name or service, group or service
    env = {**(extra_env or {}), f"{service.upper()}_CONSUMER_GROUP": group}
    port = sut.ports[service] if name == service else free_port()
    spawned = time.monotonic()
    process = sut.spawn(name, port, f"crm-{service}", "serve", extra_env={**env, PORT_VARIABLES[service]: str(port)})
    wait_ready(process, timeout=300)
    recorder = None
    if spy is not None:
        spy.mkdir(parents=True, exist_ok=True)
        argv = [SPY, "record", "--format", "raw", "--nonblocking", "-r", "100", "--pid", str(process.popen.pid)]
        recorder = subprocess.Popen([*argv, "-o", str(spy / f"{name}.txt")], stdout=subprocess.DEVNULL)
    sampler = RssSampler({name: process.popen.pid}).start()
    try:
        first, last, handled, records, cpu = watch(sut, [name], group, name, timeout)
    finally:
        sampler.stop()
        if recorder is not None:  # py-spy writes what it sampled on SIGINT
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
    return first - spawned, last - first, int(handled), records, cpu, sampler.peak[name] / 1024


def drain_fresh(
    sut: System, service: str, spy: Path | None, *, name: str, extra_env: dict[str, str] | None = None
) -> Drained:
    """``drain`` (process and consumer group ``name``) into a database of its own, freshly migrated by the current
    code, after ``quiet``; the process stopped and the database dropped after. With ``--before`` every drain of a
    service runs this way, so that each starts from the same state (see the module's description)."""
    settled = asyncio.run(quiet(sut.database_url))
    with fresh_database(sut.database_url) as url:
        migrate = subprocess.run(
            [str(BIN / f"crm-{service}"), "migrate"],
            env={**sut.env, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            output = migrate.stdout + migrate.stderr
            raise SystemExit(f"crm-{service} migrate of a fresh database failed:\n{output}")
        env = {**(extra_env or {}), "DATABASE_URL": url}
        try:
            return drain(sut, service, spy=spy, name=name, group=name, extra_env=env)
        finally:
            sut.kill(name, signal.SIGTERM)
            print(f"{name}: drained into a fresh database after {settled:.1f}s waiting for a quiet machine")


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


async def quiet(database_url: str, timeout: float = 180) -> float:
    """Wait for an idle machine, vacuum and analyze every table of the run's database, wait until no autovacuum worker
    runs on the server and for an idle machine again: seconds taken. Called before each timed drain, so that none
    shares the machine with the clean-up of the writes before it (the sync's, or the previous drain's)."""
    started = time.monotonic()
    await machine_idle()
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        tables = await connection.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE tableowner = current_user "
            "AND schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        if tables:
            names = ", ".join(f'"{t["schemaname"]}"."{t["tablename"]}"' for t in tables)
            await connection.execute(f"VACUUM (ANALYZE) {names}")
        workers = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
        while time.monotonic() - started < timeout:
            if not await connection.fetchval(workers):
                break
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
    await machine_idle()
    return time.monotonic() - started


def drain_replicas(sut: System, service: str, replicas: int, timeout: float = 3600) -> tuple[float, int, int]:
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
        first, last, handled, records, _cpu = watch(sut, names, group, f"{replicas}× {service}", timeout)
        return last - first, int(handled), records
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


async def run_partitions(servers: str, prefix: str) -> list[TopicPartition]:
    """Every partition of the run's topics (those named with ``prefix``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(names) if names else []
    finally:
        await admin.close()
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"])


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
    parser.add_argument(
        "--before", metavar="GIT_REF", help="first drain each service as of GIT_REF too (before/after, same topics)"
    )
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
        sut.kill(CONNECTOR, signal.SIGTERM)  # its scheduled polls would share the cores with the drains
        lines.append(
            {
                "name": f"connector peak RSS during the full sync ({args.scale})",
                "value": peak,
                "unit": "MiB",
                "baseline": first,
                "baseline_name": "its RSS just after start",
            }
        )
        # Every topic read once before the timed drains: in three A/A runs of four, the run's very first drain was its
        # service's slowest (catalog: 4,533-4,714 events/s; its other drains 5,013-7,247).
        warm = asyncio.run(raw_consume(servers, asyncio.run(run_partitions(servers, sut.topic_prefix))))
        print(f"warm-up: the run's {warm[0]} records read once in {warm[2]:.1f}s before the drains")
        sources = Path(tempfile.mkdtemp(prefix="consumer-before-")) / "src"
        if args.before:
            unpack(args.before, sources, CONSUMERS)
        for service in CONSUMERS:
            before: tuple[Drained, Drained] | None = None
            again: Drained | None = None
            if args.before:  # in the order before, after, after, before: what the order adds cancels out
                path = before_path({}, sources, CONSUMERS)
                opening = drain_fresh(sut, service, args.py_spy, name=f"{service}-before", extra_env=path)
                joined, seconds, timed, records, cpu, peak = drain_fresh(sut, service, args.py_spy, name=service)
                again = drain_fresh(sut, service, None, name=f"{service}-again")
                before = (opening, drain_fresh(sut, service, None, name=f"{service}-before-again", extra_env=path))
            else:
                settled = asyncio.run(quiet(sut.database_url))
                joined, seconds, timed, records, cpu, peak = drain(sut, service, spy=args.py_spy)
                print(f"{service}: drained after {settled:.1f}s waiting for a quiet machine")
            partitions = asyncio.run(committed_partitions(servers, sut.topic_prefix + service))
            raw_records, positions, raw_seconds = asyncio.run(raw_consume(servers, partitions))
            sut.kill(service, signal.SIGTERM)  # idle now, but its polls and probes would share the next one's cores
            if not seconds or not timed:
                raise SystemExit(
                    f"{service}: all {records} events were handled within one {POLL:.1f} s poll; use a larger scale"
                )
            rate, ceiling = timed / seconds, raw_records / raw_seconds
            print(
                f"{service}: {timed} of its {records} events in {seconds:.2f}s after a {joined:.1f}s start "
                f"= {rate:,.0f} events/s; "
                f"raw aiokafka consume of the same {raw_records} records: {ceiling:,.0f} records/s "
                f"({rate / ceiling:.2f}×)"
            )
            print(f"{service}: {cpu.per_event(timed, seconds)}; peak RSS {peak:,.0f} MiB")
            if before is not None and again is not None:
                before_rate = sum(b[2] for b in before) / sum(b[1] for b in before)
                after_rate = (timed + again[2]) / (seconds + again[1])
                print(
                    f"{service} as of {args.before}: {before[0][2] / before[0][1]:,.0f} then "
                    f"{before[1][2] / before[1][1]:,.0f} events/s; as it is: {rate:,.0f} then "
                    f"{again[2] / again[1]:,.0f} events/s (drained before, after, after, before); after/before "
                    f"{after_rate / before_rate:.2f}×; first drain as of {args.before}: "
                    f"{before[0][4].per_event(before[0][2], before[0][1])}; peak RSS as of {args.before} "
                    f"{max(b[5] for b in before):,.0f} MiB, as it is {max(peak, again[5]):,.0f} MiB"
                )
                lines.append(
                    {
                        "name": f"{service} peak RSS while draining ({args.scale}), after vs before",
                        "value": max(peak, again[5]),
                        "unit": "MiB",
                        "baseline": max(b[5] for b in before),
                        "baseline_name": f"as of {args.before}, same run (the larger of two drains each)",
                    }
                )
                lines.append(
                    {
                        "name": f"{service} steady-state consume ({args.scale}), after vs before",
                        "value": after_rate,
                        "unit": "events/s",
                        "baseline": before_rate,
                        "baseline_name": f"as of {args.before}, same run (two drains each, ABBA)",
                    }
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
            single: float | None = None
            for replicas in replica_counts:
                seconds, timed, records = drain_replicas(sut, service, replicas)
                if not seconds or not timed:
                    raise SystemExit(f"{service} × {replicas}: handled within one poll; use a larger scale")
                rate = timed / seconds
                single = rate if single is None else single
                print(f"{service} × {replicas}: {timed} of its {records} records in {seconds:.2f}s = {rate:,.0f}/s")
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

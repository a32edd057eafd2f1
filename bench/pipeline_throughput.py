"""Pipeline events per second end to end, next to raw Kafka with the same messages, plus memory per service and
(optionally) change-to-API latency, all in one run of the whole system.

    uv run python bench/pipeline_throughput.py [--scale demo] [--latency-samples 8]

1. Every service as a process, the simulator (rate limits off, so the connector is not paced by MoySklad's bucket)
   in this process. The connector starts last: its full sync publishes N events; timed from the job's start to the
   moment every consumer group (catalog, inventory, analytics) has committed everything: N / that time.
2. Baseline, same run: the very messages the connector published (read back from its topics) produced to scratch
   topics (acks=all, idempotent, like the connector) and consumed back: N / (produce + consume time).
3. RSS of each service process sampled all along: peak under load next to the first sample (just started).
4. With --latency-samples: change-to-API latency (bench/latency_change_to_api.py) on the settled system.
Prints a BENCH line per figure; asserts nothing about time; exits non-zero if anything was dead-lettered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from latency_change_to_api import measure, report
from memory_rss import RssSampler
from pipeline_system import (
    CONNECTOR,
    admin_token,
    bench_system,
    finished_full_sync,
    parse_time,
    settled_at,
    start_connector,
)

from crm_common.messaging.replay import topic_partitions

Record = tuple[str, int, bytes | None, bytes | None, list[tuple[str, bytes]]]


async def read_all(servers: str, topics: list[str]) -> list[Record]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=servers, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=1000)  # assignment
        parts = consumer.assignment()
        ends = await consumer.end_offsets(list(parts))
        for tp in parts:
            consumer.seek(tp, 0)
        out: list[Record] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for tp, batch in (await consumer.getmany(timeout_ms=1000, max_records=5000)).items():
                out += [(tp.topic, tp.partition, m.key, m.value, list(m.headers or [])) for m in batch]
        return out
    finally:
        await consumer.stop()


async def raw_kafka(servers: str, prefix: str) -> tuple[int, float]:
    """(messages, seconds) to produce the system's published messages to scratch topics and consume them back."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    scratch = f"bench-raw-{uuid.uuid4().hex[:6]}."
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix) and "deadletter" not in t]
        records = [r for r in await read_all(servers, topics) if r[3] is not None]
        described = await admin.describe_topics(topics)
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        await admin.create_topics([NewTopic(scratch + t, partitions[t], 1) for t in topics])
        producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
        consumer = AIOKafkaConsumer(
            *[scratch + t for t in topics],
            bootstrap_servers=servers,
            group_id=f"{scratch}group",
            auto_offset_reset="earliest",
        )
        await producer.start()
        await consumer.start()
        try:
            started = time.perf_counter()
            sends = [
                await producer.send(scratch + t, value, key=key, partition=p, headers=h)
                for t, p, key, value, h in records
            ]
            await asyncio.gather(*sends)
            seen = 0
            while seen < len(records):
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                seen += sum(len(b) for b in batches.values())
                await consumer.commit()
            return len(records), time.perf_counter() - started
        finally:
            await producer.stop()
            await consumer.stop()
            await admin.delete_topics([scratch + t for t in topics])
    finally:
        await admin.close()


async def dead_letters(servers: str, prefix: str) -> int:
    """Records on this run's dead-letter topic."""
    partitions = await topic_partitions(servers, [f"{prefix}deadletter.v1"])
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        ends, starts = await consumer.end_offsets(partitions), await consumer.beginning_offsets(partitions)
        return sum(ends[tp] - starts[tp] for tp in partitions)
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="demo", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument("--latency-samples", type=int, default=0)
    args = parser.parse_args()
    lines: list[dict[str, Any]] = []
    with bench_system(args.scale) as (sut, sim):
        sampler = RssSampler({n: p.popen.pid for n, p in sut.processes.items()}).start()
        start_connector(sut)
        sampler.watch(CONNECTOR, sut.processes[CONNECTOR].popen.pid)
        token = admin_token(sut)
        job = finished_full_sync(sut, token)
        settled = settled_at(sut)
        events = sum(int(v) for k, v in job["counts"].items() if k != "deleted")
        seconds = settled - parse_time(job["started_at"])
        sync_seconds = parse_time(job["finished_at"]) - parse_time(job["started_at"])
        messages, raw_seconds = asyncio.run(raw_kafka(sut.env["KAFKA_BOOTSTRAP_SERVERS"], sut.topic_prefix))
        dead = asyncio.run(dead_letters(sut.env["KAFKA_BOOTSTRAP_SERVERS"], sut.topic_prefix))
        if dead:  # the side check: events/s of a pipeline that dead-letters what it cannot apply is no result
            raise SystemExit(f"side check failed: {dead} events were dead-lettered during the run")
        print(
            f"scale={args.scale}: {events} events published by the full sync in {sync_seconds:.1f}s, all applied "
            f"{seconds:.1f}s after the sync started = {events / seconds:,.0f} events/s"
        )
        print(
            f"raw Kafka: {messages} messages produced and consumed in {raw_seconds:.1f}s "
            f"= {messages / raw_seconds:,.0f} messages/s"
        )
        lines.append(
            {
                "name": f"pipeline events/s end to end ({args.scale}, {events} events)",
                "value": events / seconds,
                "unit": "events/s",
                "baseline": messages / raw_seconds,
                "baseline_name": "raw Kafka produce+consume, same messages",
            }
        )
        if args.latency_samples:
            lines += report(measure(sut.url("gateway"), token, sim, args.latency_samples, pause=1.0))
        sampler.stop()
    for name in sorted(sampler.peak):
        peak, first = sampler.peak[name] / 1024, sampler.first[name] / 1024
        print(f"RSS {name:20} first {first:6.0f} MiB  peak {peak:6.0f} MiB")
        lines.append(
            {
                "name": f"RSS {name} under load",
                "value": peak,
                "unit": "MiB",
                "baseline": first,
                "baseline_name": "same process just started",
            }
        )
    for line in lines:
        print("BENCH " + json.dumps(line))


if __name__ == "__main__":
    main()

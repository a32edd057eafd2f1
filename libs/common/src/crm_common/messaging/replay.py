"""Re-drive dead letters: ``python -m crm_common.messaging.replay [--consumer G] [--topic T] [--reason R] [--dry-run]``.

Reads ``deadletter.v1`` (``KAFKA_TOPIC_PREFIX`` applies) and publishes the original bytes of each matching record, with
its original key, back to its original topic (header ``dlq_topic``), marked with ``dlq_replayed``/``dlq_replay_of``
headers. Every consumer group on that topic receives the copy; the ones that had applied the event drop it in their
inbox, so a replay after a fix changes only what failed.

What was replayed is remembered as a committed offset of the replay's own consumer group on the dead-letter topic,
one group per filter combination (``<prefix>deadletter-replay[.consumer=..][.topic=..][.reason=..]``): running the
same command again replays only dead letters that arrived since. Offsets are committed after Kafka acknowledged the
copies, so a crash in between replays a record twice at worst, which the inboxes absorb. Each run stops at the end
offsets it saw at its start, so an event that fails again (and is dead-lettered again) is not looped on.

``--consumer`` and ``--topic`` take a name with or without the topic prefix; each filter may be repeated (any of the
values matches). ``--dry-run`` lists what would be replayed and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from crm_common.events.topics import DEAD_LETTER, topic_prefix
from crm_common.messaging.broker import PRODUCER_OPTIONS

REPLAYED_HEADER = "dlq_replayed"
REPLAY_OF_HEADER = "dlq_replay_of"


@dataclass(frozen=True)
class Filters:
    consumers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def group_id(self) -> str:
        parts = [f"consumer={','.join(sorted(self.consumers))}"] if self.consumers else []
        parts += [f"topic={','.join(sorted(self.topics))}"] if self.topics else []
        parts += [f"reason={','.join(sorted(self.reasons))}"] if self.reasons else []
        return ".".join([f"{topic_prefix()}deadletter-replay", *parts])

    def matches(self, headers: dict[str, str]) -> bool:
        prefix = topic_prefix()

        def named(value: str, wanted: tuple[str, ...]) -> bool:
            return not wanted or value in wanted or any(value == prefix + w for w in wanted)

        return (
            named(headers.get("dlq_consumer", ""), self.consumers)
            and named(headers.get("dlq_topic", ""), self.topics)
            and (not self.reasons or headers.get("dlq_reason", "") in self.reasons)
        )


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    consumer: str
    topic: str
    reason: str
    detail: str

    def describe(self) -> str:
        where = f"{DEAD_LETTER.name}[{self.partition}]@{self.offset}"
        return f"{where} {self.consumer} {self.topic} {self.reason}: {self.detail[:120]}"


@dataclass
class ReplayResult:
    group_id: str
    examined: int = 0
    replayed: list[Letter] = field(default_factory=list)
    unreplayable: list[Letter] = field(default_factory=list)  # matched, but names no original topic
    by_topic: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False


async def topic_partitions(
    bootstrap_servers: str, topics: Sequence[str], timeout: float = 30.0
) -> list[TopicPartition]:
    """Every partition of the ``topics`` that exist (a plain consumer only knows the topics it subscribed to)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","), request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described if t["error_code"] == 0 for p in t["partitions"]
    )


def _headers(raw: Sequence[tuple[str, bytes | None]] | None) -> dict[str, str]:
    return {key: (value or b"").decode("utf-8", errors="replace") for key, value in raw or ()}


async def replay(
    bootstrap_servers: str, filters: Filters = Filters(), *, dry_run: bool = False, timeout: float = 60.0
) -> ReplayResult:
    """Replay the matching dead letters that this filter combination has not replayed yet."""
    servers = bootstrap_servers.split(",")
    result = ReplayResult(filters.group_id(), dry_run=dry_run)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        group_id=result.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=int(timeout * 1000),
    )
    producer = AIOKafkaProducer(bootstrap_servers=servers, linger_ms=5, **PRODUCER_OPTIONS)
    partitions = await topic_partitions(bootstrap_servers, [DEAD_LETTER.name], timeout)
    if not partitions:
        return result
    await consumer.start()
    try:
        if dry_run:
            await _scan(consumer, partitions, filters, result, None, timeout)
        else:
            await producer.start()
            try:
                await _scan(consumer, partitions, filters, result, producer, timeout)
            finally:
                await producer.stop()
    finally:
        await consumer.stop()
    return result


async def _scan(
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    filters: Filters,
    result: ReplayResult,
    producer: AIOKafkaProducer | None,
    timeout: float,
) -> None:
    consumer.assign(partitions)
    ends = await consumer.end_offsets(partitions)  # this run stops here: re-failures are for the next run
    pending = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        positions = {tp: await consumer.position(tp) for tp in partitions}
        if all(positions[tp] >= ends[tp] for tp in partitions):
            break
        if loop.time() > deadline:
            raise TimeoutError(f"could not read {DEAD_LETTER.name} to its end within {timeout}s")
        batch = await consumer.getmany(*[tp for tp in partitions if positions[tp] < ends[tp]], timeout_ms=500)
        for tp, records in batch.items():
            for record in records:
                if record.offset >= ends[tp]:
                    continue
                result.examined += 1
                headers = _headers(record.headers)
                if not filters.matches(headers):
                    continue
                letter = Letter(
                    tp.partition,
                    record.offset,
                    headers.get("dlq_consumer", ""),
                    headers.get("dlq_topic", ""),
                    headers.get("dlq_reason", ""),
                    headers.get("dlq_detail", ""),
                )
                if not letter.topic:
                    result.unreplayable.append(letter)
                    continue
                result.replayed.append(letter)
                result.by_topic[letter.topic] += 1
                if producer is not None:
                    marks = replay_marks(letter)
                    pending.append(
                        await producer.send(letter.topic, record.value or b"", key=record.key, headers=marks)
                    )
    for future in pending:
        await future  # every copy acknowledged before anything is marked as replayed
    if producer is not None:
        await consumer.commit({tp: OffsetAndMetadata(ends[tp], "") for tp in partitions})


def replay_marks(letter: Letter) -> list[tuple[str, bytes]]:
    """Headers of a re-driven copy: where it came from, so a second failure can be traced to the first."""
    return [
        (REPLAYED_HEADER, b"1"),
        (REPLAY_OF_HEADER, f"{DEAD_LETTER.name}:{letter.partition}:{letter.offset}".encode()),
        ("dlq_reason", letter.reason.encode()),
        ("dlq_consumer", letter.consumer.encode()),
    ]


@dataclass(frozen=True)
class StoredLetter:
    """One record of the dead-letter topic as it is stored: the original bytes and key, the dead-letter headers."""

    letter: Letter
    key: bytes | None
    value: bytes
    timestamp_ms: int


async def read_dead_letters(bootstrap_servers: str, *, timeout: float = 30.0) -> list[StoredLetter]:
    """Every record on the dead-letter topic, oldest first per partition; reads to the end offsets seen at the start.

    No consumer group: reading commits nothing, so it never changes what ``replay`` considers new.
    """
    partitions = await topic_partitions(bootstrap_servers, [DEAD_LETTER.name], timeout)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        enable_auto_commit=False,
        request_timeout_ms=int(timeout * 1000),
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[StoredLetter] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= ends[tp] for tp in partitions):
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {DEAD_LETTER.name} to its end within {timeout}s")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                found += [_stored(tp.partition, r) for r in records if r.offset < ends[tp]]
        return sorted(found, key=lambda s: (s.letter.partition, s.letter.offset))
    finally:
        await consumer.stop()


def _stored(partition: int, record: Any) -> StoredLetter:
    headers = _headers(record.headers)
    letter = Letter(
        partition,
        record.offset,
        headers.get("dlq_consumer", ""),
        headers.get("dlq_topic", ""),
        headers.get("dlq_reason", ""),
        headers.get("dlq_detail", ""),
    )
    return StoredLetter(letter, record.key, record.value or b"", int(record.timestamp))


async def redrive(bootstrap_servers: str, letters: Sequence[StoredLetter], *, timeout: float = 30.0) -> None:
    """Publish each letter's original bytes, with its original key, to its original topic; returns once Kafka
    acknowledged every copy."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers.split(","),
        request_timeout_ms=int(timeout * 1000),
        **PRODUCER_OPTIONS,
    )
    await producer.start()
    try:
        pending = [
            await producer.send(s.letter.topic, s.value, key=s.key, headers=replay_marks(s.letter)) for s in letters
        ]
        for future in pending:
            await future
    finally:
        await producer.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crm_common.messaging.replay",
        description="Re-publish dead letters to their original topics (after the cause was fixed).",
    )
    parser.add_argument("--consumer", action="append", default=[], help="consumer group that dead-lettered it")
    parser.add_argument("--topic", action="append", default=[], help="original topic")
    parser.add_argument("--reason", action="append", default=[], help="dead-letter reason, e.g. handler_error")
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed, change nothing")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to read the dead-letter topic")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    filters = Filters(tuple(args.consumer), tuple(args.topic), tuple(args.reason))
    try:
        result = asyncio.run(replay(servers, filters, dry_run=args.dry_run, timeout=args.timeout))
    except (KafkaError, OSError, TimeoutError) as exc:
        print(f"error: cannot replay from Kafka at {servers}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    verb = "would replay" if args.dry_run else "replayed"
    for letter in result.replayed:
        print(f"{verb} {letter.describe()}")
    for letter in result.unreplayable:
        print(f"skipped (no original topic) {letter.describe()}")
    topics = ", ".join(f"{topic}={n}" for topic, n in sorted(result.by_topic.items())) or "-"
    print(
        f"{verb} {len(result.replayed)} of {result.examined} new dead letters on {DEAD_LETTER.name} "
        f"(group {result.group_id}; by topic: {topics}; unreplayable {len(result.unreplayable)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

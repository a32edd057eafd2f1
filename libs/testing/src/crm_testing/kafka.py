"""Reading, publishing and waiting on the real Kafka of the tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import Topic
from crm_common.messaging.replay import topic_partitions
from crm_testing.infra import kafka_servers


@contextlib.asynccontextmanager
async def topic_reader(topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_servers(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


def _parse(record: Any) -> EventEnvelope | None:
    """Envelopes only: junk that a test put on a topic on purpose is skipped."""
    try:
        return EventEnvelope.from_bytes(record.value) if record.value else None
    except ValueError:
        return None


async def read_events(
    topic: str, *, expect: int | None = None, idle: float = 2.0, timeout: float = 60.0
) -> list[EventEnvelope]:
    """Read a topic from the start until ``expect`` events arrived, or nothing new came for ``idle`` seconds."""
    events: list[EventEnvelope] = []
    deadline = time.monotonic() + timeout
    async with topic_reader(topic) as consumer:
        last = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            records = [r for rs in batch.values() for r in rs]
            events += [e for e in map(_parse, records) if e is not None]
            if records:
                last = time.monotonic()
            if expect is not None and len(events) >= expect:
                break
            if expect is None and time.monotonic() - last > idle:
                break
            await asyncio.sleep(0)
    return events


def latest_state(events: list[EventEnvelope]) -> dict[str, EventEnvelope]:
    """What a compacting consumer keeps: per entity, the event with the highest source version."""
    state: dict[str, EventEnvelope] = {}
    for event in events:
        held = state.get(event.entity_id)
        if held is None or event.source_version > held.source_version:
            state[event.entity_id] = event
    return state


async def publish(producer: AIOKafkaProducer, topic: Topic, *events: EventEnvelope | tuple[str, bytes]) -> None:
    """Send events (or raw ``(key, bytes)`` pairs) in order and wait for Kafka to acknowledge each."""
    for event in events:
        if isinstance(event, EventEnvelope):
            key, value = event.entity_id, event.to_bytes()
        else:
            key, value = event
        await producer.send_and_wait(topic.name, value, key=key.encode())


async def wait_drained(group_id: str, topics: Iterable[Topic], timeout: float = 45.0) -> None:
    """Wait until ``group_id`` has committed every message now on ``topics`` (that is, handled all of them)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await consumer.start()
    await admin.start()
    try:
        # the partitions each topic really has (its creator's KAFKA_TOPIC_PARTITIONS, or a topic's own count)
        partitions = await topic_partitions(kafka_servers(), [t.name for t in topics])
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group_id)
            behind = {
                tp: end for tp, end in ends.items() if end > 0 and (tp not in committed or committed[tp].offset < end)
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer group {group_id} did not catch up: {behind}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
        await consumer.stop()


async def delete_run_topics(prefix: str, servers: str | None = None) -> None:
    """Delete the topics and consumer groups named with ``prefix`` (a test suite's or a benchmark run's), so runs do
    not pile up in a shared (dev) cluster: a whole-system run creates ~170 topics."""
    from aiokafka.protocol.admin import DeleteGroupsRequest

    if not prefix:
        raise ValueError("a run's prefix is needed: an empty one would name every topic of the cluster")
    admin = AIOKafkaAdminClient(bootstrap_servers=servers or kafka_servers())
    try:
        await admin.start()
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        groups = [str(g[0]) for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)]
        if groups:
            # aiokafka has no delete_consumer_groups; the request itself is simple. Any broker of a single-node
            # cluster is the coordinator; on a larger one a group it does not coordinate is just left behind.
            node = admin._client.get_random_node()
            await admin._client.send(node, DeleteGroupsRequest(groups))
    finally:
        await admin.close()

"""Batch consumption over real Kafka and real Postgres: one transaction per batch, with per-event guarantees.

Each test publishes first and starts its consumer afterwards, on topics of its own, so the events arrive together
and really go through the batch path (the handler records the batches it is given).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from sqlalchemy import BigInteger, Column, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import create_engine, session_factory, transaction
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Folder
from crm_common.events.topics import DEAD_LETTER, FOLDERS, Topic
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.consumer import EventConsumer, PoisonEvent, split_lanes
from crm_common.messaging.inbox import inbox_table
from crm_common.messaging.publisher import EventPublisher
from crm_common.versioned import VersionedBatch, VersionedTable, upsert_route
from crm_testing import free_port, kafka_servers, test_database_url, topic_reader, unique_topic_prefix

SCHEMA = f"common_batch_{uuid.uuid4().hex[:6]}"
metadata = MetaData(schema=SCHEMA)
folders = Table(
    "folders",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String),
    Column("version", BigInteger, nullable=False),
)
inbox = inbox_table(metadata)


def folder_row(folder: Folder) -> dict[str, Any]:
    if folder.name == "poison":
        raise PoisonEvent("folder named poison can never be applied")
    return {"id": folder.id, "name": folder.name}


FOLDER_ROWS = VersionedTable(folders, version="version", deleted_at=None)
ROWS = VersionedBatch({"folder.upserted": (FOLDER_ROWS, upsert_route(FOLDER_ROWS, Folder, folder_row))})


class Recorder:
    """The set-based batch writer of crm_common.versioned (one upsert per batch), remembering the batches it was
    given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def __call__(self, session: AsyncSession, events: list[EventEnvelope]) -> None:
        self.batches.append([e.entity_id for e in events])
        await ROWS.write(session, events)


def folder_event(fid: str, name: str, version: int = 1) -> EventEnvelope:
    payload = Folder(id=fid, name=name, updated_at=datetime.now(UTC))
    return make_event(
        "folder.upserted", source="test", account_id="a", entity_id=fid, source_version=version, payload=payload
    )


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), SCHEMA)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
    await engine.dispose()


@pytest.fixture
async def own_topics() -> AsyncIterator[None]:
    """Topics (and so a dead-letter topic) of this test alone."""
    previous = os.environ.get("KAFKA_TOPIC_PREFIX", "")
    os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
    await ensure_topics(kafka_servers(), [FOLDERS, DEAD_LETTER])
    yield
    os.environ["KAFKA_TOPIC_PREFIX"] = previous


async def publish(*messages: EventEnvelope | bytes, partition: int = 0, topic: Topic = FOLDERS) -> None:
    """Everything to one partition (0 unless told), so one fetch returns it in this order."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all")
    await producer.start()
    try:
        for m in messages:
            value = m.to_bytes() if isinstance(m, EventEnvelope) else m
            await producer.send_and_wait(topic.name, value, key=b"k", partition=partition)
    finally:
        await producer.stop()


@asynccontextmanager
async def running(
    sessions: Callable[[], AsyncSession],
    recorder: Recorder,
    max_records: int = 100,
    lanes: int = 1,
    affinity: Callable[[EventEnvelope], str] | None = None,
    topics: tuple[Topic, ...] = (FOLDERS,),
    first: tuple[Topic, ...] = (),
) -> AsyncIterator[EventConsumer]:
    """Run a batch consumer (a group of its own) until the block ends."""
    broker = make_broker(kafka_servers(), "common-batch-test")
    consumer = EventConsumer(broker, sessions, inbox, f"batch-{uuid.uuid4().hex[:8]}", backoff=0.01)  # type: ignore[arg-type]
    consumer.subscribe_batch(
        topics, recorder, max_records=max_records, batch_timeout_ms=500, lanes=lanes, affinity=affinity, first=first
    )
    await broker.start()
    try:
        yield consumer
    finally:
        await broker.stop()


@asynccontextmanager
async def consuming(sessions: Callable[[], AsyncSession], recorder: Recorder) -> AsyncIterator[str]:
    """``running``, yielding the consumer's group (its inbox consumer name)."""
    async with running(sessions, recorder) as consumer:
        yield consumer.group_id


async def committed_and_end(group: str) -> tuple[int, int]:
    """The offset ``group`` committed on the folders topic's partition 0 (-1 if none), and the partition's end."""
    tp = TopicPartition(FOLDERS.name, 0)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    async with topic_reader(FOLDERS.name) as reader:
        end = (await reader.end_offsets([tp]))[tp]
    meta = offsets.get(tp)
    return (meta.offset if meta is not None else -1), end


async def names(engine: AsyncEngine, ids: list[str]) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"select id, name from {SCHEMA}.folders where id = any(:ids)"), {"ids": ids})
        return {r.id: r.name for r in rows}


async def wait_for_ids(engine: AsyncEngine, ids: list[str], timeout: float = 45.0) -> dict[str, str]:
    found: dict[str, str] = {}
    for _ in range(int(timeout / 0.2)):
        found = await names(engine, ids)
        if len(found) == len(ids):
            break
        await asyncio.sleep(0.2)
    return found


async def dead_letters(expect: int, idle: float = 2.0) -> list[dict[str, str]]:
    """Headers of the dead letters: until ``expect`` arrived, or nothing new came for ``idle`` seconds."""
    found: list[dict[str, str]] = []
    async with topic_reader(DEAD_LETTER.name) as reader:
        quiet = 0.0
        while quiet < idle and len(found) < max(expect, 1) * 10:
            batch = await reader.getmany(timeout_ms=200)
            records = [r for rs in batch.values() for r in rs]
            found += [{k: v.decode() for k, v in r.headers} for r in records]
            quiet = 0.0 if records else quiet + 0.2
            if expect and len(found) >= expect:
                break
    return found


async def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_rest_apply(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    good = [f"{tag}-a", f"{tag}-b", f"{tag}-c"]
    await publish(
        folder_event(good[0], "first"),
        folder_event(f"{tag}-poison", "poison"),
        b"{not json",
        folder_event(good[1], "second"),
        folder_event(good[2], "third"),
    )
    recorder = Recorder()
    async with consuming(session_factory(engine), recorder):
        applied = await wait_for_ids(engine, good)
        letters = await dead_letters(expect=2)
    assert applied == {good[0]: "first", good[1]: "second", good[2]: "third"}
    assert sorted(h["dlq_reason"] for h in letters) == ["invalid_event", "unapplicable"]
    assert await names(engine, [f"{tag}-poison"]) == {}
    # The whole batch was tried together first, then one event at a time.
    assert recorder.batches[0] == [good[0], f"{tag}-poison", good[1], good[2]]
    assert [f"{tag}-poison"] in recorder.batches[1:]


async def test_a_copy_inside_a_batch_and_a_redelivered_event_apply_once(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    first, second = folder_event(f"{tag}-x", "new"), folder_event(f"{tag}-y", "other")
    older = folder_event(f"{tag}-x", "old", version=0)
    await publish(first, first, older, second, first)
    recorder = Recorder()
    async with consuming(session_factory(engine), recorder) as group:
        applied = await wait_for_ids(engine, [f"{tag}-x", f"{tag}-y"])
        async with transaction(session_factory(engine)) as s:
            query = text(f"select count(*) from {SCHEMA}.processed_events where consumer = :g")
            claimed = (await s.execute(query, {"g": group})).scalar()
    assert applied == {f"{tag}-x": "new", f"{tag}-y": "other"}
    # Three distinct event ids were published (one three times), and the handler saw each id once.
    assert sorted(x for batch in recorder.batches for x in batch) == sorted([f"{tag}-x", f"{tag}-x", f"{tag}-y"])
    assert recorder.batches[0] == [f"{tag}-x", f"{tag}-x", f"{tag}-y"]
    assert claimed == 3
    assert await dead_letters(expect=0, idle=1.0) == []
    # Counted per outcome: three applied, the two copies of the first as duplicates.
    counted = {
        outcome: REGISTRY.get_sample_value(
            "crm_events_consumed_total", {"consumer": group, "topic": FOLDERS.name, "outcome": outcome}
        )
        for outcome in ("applied", "duplicate")
    }
    assert counted == {"applied": 3.0, "duplicate": 2.0}


class Switchable:
    """A session factory whose database is unreachable until ``up()``; counts the tries while it is down."""

    def __init__(self, down: async_sessionmaker[AsyncSession], working: async_sessionmaker[AsyncSession]) -> None:
        self.down, self.working, self.is_down, self.tries_while_down = down, working, True, 0

    def up(self) -> None:
        self.is_down = False

    def __call__(self) -> AsyncSession:
        if self.is_down:
            self.tries_while_down += 1
            return self.down()
        return self.working()


async def test_a_batch_is_redelivered_while_the_database_is_down_then_applies_once(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    ids = [f"{tag}-{i}" for i in range(5)]
    await publish(*(folder_event(i, f"name {i}") for i in ids))
    nowhere = create_engine(f"postgresql+asyncpg://crm:crm@127.0.0.1:{free_port()}/crm_test", SCHEMA)
    sessions = Switchable(session_factory(nowhere), session_factory(engine))
    recorder = Recorder()
    try:
        async with consuming(sessions, recorder):  # type: ignore[arg-type]
            for _ in range(150):
                if sessions.tries_while_down >= 3:
                    break
                await asyncio.sleep(0.1)
            assert sessions.tries_while_down >= 3  # the same batch came back again and again
            assert await names(engine, ids) == {}
            sessions.up()
            applied = await wait_for_ids(engine, ids)
        letters = await dead_letters(expect=0, idle=1.0)
    finally:
        await nowhere.dispose()
    assert applied == {i: f"name {i}" for i in ids}
    assert letters == []  # infrastructure failures are never the events' fault
    assert recorder.batches == [ids]  # applied once, as one batch


async def test_an_event_larger_than_kafkas_default_message_size_travels_and_applies(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    """A MoySklad document with tens of thousands of positions is several MB of JSON: Kafka's defaults (1 MB per
    message on the broker, the producer and each partition fetch) would refuse it at the producer."""
    big = folder_event(f"big-{uuid.uuid4().hex[:6]}", "Ж" * 2_500_000)  # 5 MB of UTF-8 in one event
    assert len(big.to_bytes()) > 4 * 1024 * 1024
    small = folder_event(f"small-{uuid.uuid4().hex[:6]}", "after the big one")
    producer = make_broker(kafka_servers(), "common-big-test")
    await producer.start()
    try:
        await EventPublisher(producer).publish_many([big, small])
    finally:
        await producer.stop()
    recorder = Recorder()

    async with consuming(session_factory(engine), recorder):
        found = await wait_for_ids(engine, [big.entity_id, small.entity_id])

    assert found == {big.entity_id: "Ж" * 2_500_000, small.entity_id: "after the big one"}


class FailingFirst:
    """A session factory whose first ``failures`` sessions reach no database (an infrastructure failure)."""

    def __init__(
        self, down: async_sessionmaker[AsyncSession], working: async_sessionmaker[AsyncSession], failures: int
    ) -> None:
        self.down, self.working, self.failures = down, working, failures

    def __call__(self) -> AsyncSession:
        if self.failures > 0:
            self.failures -= 1
            return self.down()
        return self.working()


async def test_batches_that_failed_on_the_database_come_again_and_apply_once_in_order(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    """Small batches, the first two sessions failing on the database: the batches come again, and every event
    applies once and in Kafka order."""
    tag = uuid.uuid4().hex[:6]
    ids = [f"{tag}-{i}" for i in range(12)]
    await publish(*(folder_event(i, f"name {i}") for i in ids))
    nowhere = create_engine(f"postgresql+asyncpg://crm:crm@127.0.0.1:{free_port()}/crm_test", SCHEMA)
    recorder = Recorder()
    try:
        async with running(FailingFirst(session_factory(nowhere), session_factory(engine), 2), recorder, 3):
            applied = await wait_for_ids(engine, ids)
        letters = await dead_letters(expect=0, idle=1.0)
    finally:
        await nowhere.dispose()
    assert applied == {i: f"name {i}" for i in ids}
    assert [i for batch in recorder.batches for i in batch] == ids  # each once, in order
    assert letters == []


async def test_the_last_batch_commits_its_offsets_with_no_batch_after_it(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    """Offsets are committed after each batch's transaction: the group reaches the end of the partition (lag 0)
    without waiting for another batch to come."""
    tag = uuid.uuid4().hex[:6]
    ids = [f"{tag}-{i}" for i in range(7)]
    await publish(*(folder_event(i, f"name {i}") for i in ids))
    async with running(session_factory(engine), Recorder(), 5) as consumer:
        await wait_for_ids(engine, ids)
        for _ in range(100):
            committed, end = await committed_and_end(consumer.group_id)
            if committed == end:
                break
            await asyncio.sleep(0.1)
    assert (committed, end) == (end, 7)


class PlanModeRecorder(Recorder):
    """Also remembers the plan cache mode in force inside each batch's transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[str] = []

    async def __call__(self, session: AsyncSession, events: list[EventEnvelope]) -> None:
        self.modes.append((await session.execute(text("SHOW plan_cache_mode"))).scalar_one())
        await super().__call__(session, events)


async def test_a_batch_is_planned_for_its_own_values_never_from_a_cached_generic_plan(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    """A generic plan cached while a table was empty (a first load) kept scanning the whole table once it had grown."""
    tag = uuid.uuid4().hex[:6]
    ids = [f"{tag}-{i}" for i in range(3)]
    await publish(*(folder_event(i, f"name {i}") for i in ids))
    recorder = PlanModeRecorder()
    async with consuming(session_factory(engine), recorder):
        await wait_for_ids(engine, ids)
    assert recorder.modes
    assert set(recorder.modes) == {"force_custom_plan"}
    async with engine.connect() as conn:  # for this transaction only: the pooled connection is back to the default
        assert (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one() == "auto"


async def test_events_applied_one_at_a_time_after_a_poison_are_planned_for_their_values_too(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    good = [f"{tag}-a", f"{tag}-b"]
    await publish(folder_event(good[0], "first"), folder_event(f"{tag}-poison", "poison"), folder_event(good[1], "b"))
    recorder = PlanModeRecorder()
    async with consuming(session_factory(engine), recorder):
        await wait_for_ids(engine, good)
        await dead_letters(expect=1)
    assert len(recorder.batches) > 1  # the batch, then its events one at a time
    assert set(recorder.modes) == {"force_custom_plan"}


# --- Lanes: a batch split by partition, the parts applied side by side -------------------------------------------


async def publish_lanes(
    tag: str, partitions: int = 2, entities: int = 3, versions: int = 3, name: Callable[[str], str] = str
) -> list[str]:
    """On each of ``partitions`` partitions, ``entities`` entities (each keyed by its id, as the publisher keys)
    with ``versions`` versions each, interleaved; their ids. Version ``v`` of entity ``i`` is named ``name(i)`` if it
    is the last, else ``"<i> v<v>"``: only an entity whose versions applied in order ends with ``name(i)``."""
    ids: list[str] = []
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all")
    await producer.start()
    try:
        for p in range(partitions):
            ours = [f"{tag}-p{p}-{i}" for i in range(entities)]
            for v in range(1, versions + 1):
                for i in ours:
                    event = folder_event(i, name(i) if v == versions else f"{i} v{v}", version=v)
                    await producer.send_and_wait(FOLDERS.name, event.to_bytes(), key=i.encode(), partition=p)
            ids += ours
    finally:
        await producer.stop()
    return ids


class Overlapping(Recorder):
    """Each handler call waits (up to 3 s) until another call has begun while it is still open, which only calls
    running side by side see (``overlapped``). Remembers each call's transaction id."""

    def __init__(self) -> None:
        super().__init__()
        self.open = 0
        self.overlapped = asyncio.Event()
        self.transactions: list[int] = []

    async def __call__(self, session: AsyncSession, events: list[EventEnvelope]) -> None:
        self.open += 1
        if self.open > 1:
            self.overlapped.set()
        try:
            self.transactions.append((await session.execute(text("SELECT txid_current()"))).scalar_one())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.overlapped.wait(), 3)
            await super().__call__(session, events)
        finally:
            self.open -= 1


async def test_lanes_apply_a_batch_in_transactions_side_by_side_each_partition_whole_and_in_order(  # type: ignore[no-untyped-def]
    engine, own_topics
) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = await publish_lanes(tag, name=lambda i: f"name {i}")
    recorder = Overlapping()
    async with running(session_factory(engine), recorder, max_records=100, lanes=2):
        applied = await wait_for_ids(engine, ids)
        letters = await dead_letters(expect=0, idle=1.0)
    assert applied == {i: f"name {i}" for i in ids}
    assert letters == []
    assert recorder.overlapped.is_set()
    assert len(set(recorder.transactions)) == len(recorder.transactions) > 1  # a transaction of its own per lane
    seen = [i for batch in recorder.batches for i in batch]
    assert sorted(seen) == sorted(ids * 3)  # each version once
    for batch in recorder.batches:  # one entity's versions never split between two lanes of one batch
        assert all(batch.count(i) in (0, 3) for i in ids)


async def test_a_lane_that_failed_on_the_database_comes_again_with_its_batch_and_every_event_applies_once(  # type: ignore[no-untyped-def]
    engine, own_topics
) -> None:
    """The first session reaches no database: its lane fails while the other commits; the whole batch is
    redelivered, the committed lane's events are found in the inbox and not applied again."""
    tag = uuid.uuid4().hex[:6]
    ids = await publish_lanes(tag, name=lambda i: f"name {i}")
    nowhere = create_engine(f"postgresql+asyncpg://crm:crm@127.0.0.1:{free_port()}/crm_test", SCHEMA)
    recorder = Recorder()
    try:
        async with running(FailingFirst(session_factory(nowhere), session_factory(engine), 1), recorder, lanes=2):
            applied = await wait_for_ids(engine, ids)
        letters = await dead_letters(expect=0, idle=1.0)
    finally:
        await nowhere.dispose()
    assert applied == {i: f"name {i}" for i in ids}
    assert letters == []
    assert sorted(i for batch in recorder.batches for i in batch) == sorted(ids * 3)  # each version applied once


def by_index(event: EventEnvelope) -> str:
    """An affinity for ``publish_lanes``' entities: the ones of the same index on every partition go together."""
    return event.entity_id.rsplit("-", 1)[1]


@pytest.mark.parametrize("affinity", [None, by_index])
async def test_a_poison_event_and_junk_in_lanes_are_dead_lettered_alone_and_every_other_event_applies(  # type: ignore[no-untyped-def]
    engine, own_topics, affinity
) -> None:
    tag = uuid.uuid4().hex[:6]
    poison = f"{tag}-p1-2"  # its last version
    await publish(b"{not json", partition=1)
    ids = await publish_lanes(tag, name=lambda i: "poison" if i == poison else f"name {i}")
    good = [i for i in ids if i != poison]
    recorder = Recorder()
    async with running(session_factory(engine), recorder, lanes=2, affinity=affinity):
        applied = await wait_for_ids(engine, good)
        letters = await dead_letters(expect=2)
    assert applied == {i: f"name {i}" for i in good}
    assert sorted(h["dlq_reason"] for h in letters) == ["invalid_event", "unapplicable"]
    assert await names(engine, [poison]) == {poison: f"{poison} v2"}  # its versions before the poison applied


def test_split_lanes_keeps_each_keys_records_whole_and_in_order_and_evens_the_parts() -> None:
    class Record:
        def __init__(self, topic: str, partition: int, key: bytes | None, n: int) -> None:
            self.topic, self.partition, self.key, self.n = topic, partition, key, n

    sizes = {("a", 0, b"x"): 7, ("a", 0, b"y"): 3, ("b", 1, b"x"): 3, ("a", 2, None): 1, ("a", 3, None): 1}
    batch: list[Any] = []
    for n in range(max(sizes.values())):  # interleaved, the way a fetch of several keys and partitions comes
        for (topic, partition, key), size in sizes.items():
            if n < size:
                batch.append(Record(topic, partition, key, n))
    parts = split_lanes(batch, 2)
    assert sorted(len(p) for p in parts) == [7, 8]
    for part in parts:
        for group in {(r.topic, r.partition, r.key) for r in part}:
            kept = [r.n for r in part if (r.topic, r.partition, r.key) == group]
            assert kept == list(range(sizes[group]))  # whole and in order
    assert sorted(id(r) for part in parts for r in part) == sorted(id(r) for r in batch)
    assert len(split_lanes(batch, 8)) == 5  # never more parts than keys (keyless records: per partition)
    assert len(split_lanes(batch, 1)) == 1


async def test_lanes_with_an_affinity_apply_the_events_that_share_it_in_one_transaction(  # type: ignore[no-untyped-def]
    engine, own_topics
) -> None:
    """Six entities on one partition (one fetch, one batch), the first three sharing an affinity and the last three
    another: each lane gets one affinity's entities whole, both versions of each, the two lanes side by side. Split
    by key alone, the lanes would get entities 0, 2, 4 and 1, 3, 5."""
    tag = uuid.uuid4().hex[:6]
    ids = await publish_lanes(tag, partitions=1, entities=6, versions=2, name=lambda i: f"name {i}")
    first = set(ids[:3])
    recorder = Overlapping()
    async with running(
        session_factory(engine), recorder, lanes=2, affinity=lambda e: "first" if e.entity_id in first else "last"
    ):
        applied = await wait_for_ids(engine, ids)
    assert applied == {i: f"name {i}" for i in ids}
    assert recorder.overlapped.is_set()
    assert sorted(sorted(set(batch)) for batch in recorder.batches) == [ids[:3], ids[3:]]
    for batch in recorder.batches:  # both versions of each of its entities
        assert sorted(batch) == sorted([*set(batch), *set(batch)])


def test_split_lanes_puts_the_keys_that_share_an_affinity_in_one_part_each_key_whole_and_in_order() -> None:
    class Record:
        def __init__(self, key: bytes, n: int) -> None:
            self.topic, self.partition, self.key, self.n = "a", 0, key, n

    # keys a1, a2 (affinity a: 2 + 2 records), b1 (b: 3), c1, c2, c3 (c: 1 each), interleaved as a fetch brings them
    sizes = {b"a1": 2, b"a2": 2, b"b1": 3, b"c1": 1, b"c2": 1, b"c3": 1}
    batch = [Record(key, n) for n in range(3) for key, size in sizes.items() if n < size]
    items = [(record, f"item {i}") for i, record in enumerate(batch)]
    parts = split_lanes(items, 2, record=lambda item: item[0], affinity=lambda item: item[0].key[:1].decode())
    assert sorted(sorted({r.key[:1] for r, _ in part}) for part in parts) == [[b"a"], [b"b", b"c"]]
    assert sorted(len(part) for part in parts) == [4, 6]
    for part in parts:
        for key in {r.key for r, _ in part}:
            assert [r.n for r, _ in part if r.key == key] == list(range(sizes[key]))  # whole and in order
    assert sorted(i for part in parts for _, i in part) == sorted(i for _, i in items)
    assert len(split_lanes(items, 8, record=lambda item: item[0], affinity=lambda item: "one")) == 1


class CrossLocking(Recorder):
    """The first two calls take two advisory locks in opposite orders, each waiting for the other to hold its
    first: a deadlock PostgreSQL breaks by rolling one of them back."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.both_hold_one = asyncio.Event()
        self.holding = 0

    async def __call__(self, session: AsyncSession, events: list[EventEnvelope]) -> None:
        self.calls += 1
        if self.calls <= 2:
            first, second = (1, 2) if self.calls == 1 else (2, 1)
            await session.execute(text("SELECT pg_advisory_xact_lock(7301, :k)"), {"k": first})
            self.holding += 1
            if self.holding == 2:
                self.both_hold_one.set()
            with contextlib.suppress(TimeoutError):  # not side by side: no deadlock, and the count below fails
                await asyncio.wait_for(self.both_hold_one.wait(), 5)
            await session.execute(text("SELECT pg_advisory_xact_lock(7301, :k)"), {"k": second})
        await super().__call__(session, events)


async def test_a_lane_rolled_back_by_a_deadlock_is_tried_again_as_a_batch(engine, own_topics) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    ids = await publish_lanes(tag, partitions=1, entities=2, versions=2, name=lambda i: f"name {i}")
    recorder = CrossLocking()
    async with running(session_factory(engine), recorder, lanes=2):
        applied = await wait_for_ids(engine, ids)
        letters = await dead_letters(expect=0, idle=1.0)
    assert applied == {i: f"name {i}" for i in ids}
    assert letters == []
    assert recorder.calls == 3  # two lanes, and the one PostgreSQL rolled back once more
    assert sorted(recorder.batches) == [[ids[0]] * 2, [ids[1]] * 2]  # each lane applied whole, never event by event


# A second topic of folder events, one partition.
LATER = dataclasses.replace(FOLDERS, base_name="test.folders-later.v1", partitions=1)
# Events of ~20 KB: a backlog of 300 is ~6 MB a partition, fetched 1 MB a partition at a time (the consumer's
# ``max_partition_fetch_bytes``), so a consumer reading as Kafka fetches gets the two topics' records in turns.
BIG = "x" * 20_000


@pytest.mark.parametrize("first_count", [300, 0])
async def test_topics_read_first_are_applied_up_to_their_end_before_the_other_topics(  # type: ignore[no-untyped-def]
    engine, own_topics, first_count
) -> None:
    """A backlog on two topics, the later one published first: every event of the topic read first is applied before
    any of the other's (read in the order Kafka fetches them, the later topic's would come among them); with
    nothing to read first, the other topic is not held back."""
    await ensure_topics(kafka_servers(), [LATER])
    tag = uuid.uuid4().hex[:6]
    later = [f"{tag}-later-{i:03}" for i in range(300)]
    first = [f"{tag}-first-{i:03}" for i in range(first_count)]
    await publish(*(folder_event(i, BIG) for i in later), topic=LATER)
    await publish(*(folder_event(i, BIG) for i in first))
    recorder = Recorder()
    async with running(session_factory(engine), recorder, max_records=50, topics=(FOLDERS, LATER), first=(FOLDERS,)):
        applied = await wait_for_ids(engine, first + later)
    assert len(applied) == len(first) + len(later)
    order = [entity for batch in recorder.batches for entity in batch]
    assert sorted(order[: len(first)]) == first
    assert sorted(order[len(first) :]) == later


def test_topics_read_first_must_be_among_the_subscribed() -> None:
    consumer = EventConsumer(make_broker(kafka_servers(), "t"), None, inbox, "g")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="read first must be subscribed"):
        consumer.subscribe_batch([FOLDERS], Recorder(), first=[LATER])

"""The consumer pipeline over real Kafka and real Postgres: de-duplication, ordering, dead letters, outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import create_engine, session_factory, transaction
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Folder
from crm_common.events.topics import DEAD_LETTER, FOLDERS
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.consumer import EventConsumer, PoisonEvent
from crm_common.messaging.inbox import inbox_table
from crm_common.messaging.outbox import OutboxRelay, enqueue, outbox_table
from crm_common.messaging.publisher import EventPublisher
from crm_testing import kafka_servers, read_events, test_database_url

SCHEMA = f"common_test_{uuid.uuid4().hex[:6]}"
metadata = MetaData(schema=SCHEMA)
folders = Table(
    "folders",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String),
    Column("version", BigInteger, nullable=False),
)
inbox = inbox_table(metadata)
outbox = outbox_table(metadata)


async def apply_folder(session: AsyncSession, event: EventEnvelope) -> None:
    folder = Folder.model_validate(event.payload)
    if folder.name == "poison":
        raise PoisonEvent("folder named poison can never be applied")
    stmt = insert(folders).values(id=folder.id, name=folder.name, version=event.source_version)
    stmt = stmt.on_conflict_do_update(
        index_elements=[folders.c.id],
        set_={"name": stmt.excluded.name, "version": stmt.excluded.version},
        where=folders.c.version < stmt.excluded.version,
    )
    await session.execute(stmt)


def folder_event(fid: str, name: str, version: int, event_id: uuid.UUID | None = None) -> EventEnvelope:
    payload = Folder(id=fid, name=name, updated_at=datetime.now(UTC))
    return make_event(
        "folder.upserted",
        source="test",
        account_id="a",
        entity_id=fid,
        source_version=version,
        payload=payload,
        event_id=event_id,
    )


@pytest.fixture(scope="module")
async def pipeline() -> AsyncIterator[tuple[EventPublisher, object]]:
    await ensure_topics(kafka_servers(), [FOLDERS, DEAD_LETTER])
    engine = create_engine(test_database_url(), SCHEMA)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    broker = make_broker(kafka_servers(), "common-test")
    EventConsumer(broker, sessions, inbox, f"common-test-{SCHEMA}", backoff=0.01).subscribe(
        [FOLDERS], {"folder.upserted": apply_folder}
    )
    await broker.start()
    yield EventPublisher(broker), sessions
    await broker.stop()
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
    await engine.dispose()


async def wait_for(sessions: object, query: str, expected: object, timeout: float = 30.0) -> object:
    value = None
    for _ in range(int(timeout / 0.2)):
        async with transaction(sessions) as s:  # type: ignore[arg-type]
            value = (await s.execute(text(query))).scalar()
        if value == expected:
            return value
        await asyncio.sleep(0.2)
    return value


async def test_redelivered_and_older_events_do_not_change_state(pipeline: tuple[EventPublisher, object]) -> None:
    publisher, sessions = pipeline
    newest = folder_event("f1", "Кухня", 20)
    await publisher.publish(newest)
    await publisher.publish(newest)  # redelivery: same event id
    await publisher.publish(folder_event("f1", "Старое имя", 10))  # older version arrives late
    await publisher.publish(folder_event("f-done", "marker", 1))
    assert await wait_for(sessions, f"select count(*) from {SCHEMA}.folders where id='f-done'", 1) == 1
    async with transaction(sessions) as s:  # type: ignore[arg-type]
        row = (await s.execute(select(folders).where(folders.c.id == "f1"))).one()
        applied = (await s.execute(text(f"select count(*) from {SCHEMA}.processed_events"))).scalar()
    assert (row.name, row.version) == ("Кухня", 20)
    assert applied == 3  # the duplicate was not applied twice


async def test_poison_and_malformed_messages_are_dead_lettered_and_the_stream_goes_on(
    pipeline: tuple[EventPublisher, object],
) -> None:
    publisher, sessions = pipeline
    await publisher.publish(folder_event("f2", "poison", 1))
    await publisher._broker.publish(b"{not json", FOLDERS.name, key=b"junk")
    await publisher.publish(folder_event("f3", "after the poison", 1))
    assert await wait_for(sessions, f"select name from {SCHEMA}.folders where id='f3'", "after the poison")
    letters = await read_events_raw(DEAD_LETTER.name, expect=2)
    reasons = sorted(h["dlq_reason"] for h in letters)
    assert reasons == ["invalid_event", "unapplicable"]
    assert all(h["dlq_topic"] == FOLDERS.name for h in letters)


async def read_events_raw(topic: str, expect: int) -> list[dict[str, str]]:
    from crm_testing import topic_reader

    found: list[dict[str, str]] = []
    async with topic_reader(topic) as consumer:
        for _ in range(150):
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found += [{k: v.decode() for k, v in r.headers} for r in records]
            if len(found) >= expect:
                break
    return found


async def test_outbox_publishes_staged_events_once(pipeline: tuple[EventPublisher, object]) -> None:
    publisher, sessions = pipeline
    event = folder_event("f-outbox", "from the outbox", 5)
    async with transaction(sessions) as s:  # type: ignore[arg-type]
        await enqueue(s, outbox, event)
    relay = OutboxRelay(sessions, outbox, publisher)  # type: ignore[arg-type]
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    assert await wait_for(sessions, f"select name from {SCHEMA}.folders where id='f-outbox'", "from the outbox")
    published = [e for e in await read_events(FOLDERS.name) if e.entity_id == "f-outbox"]
    assert [e.event_id for e in published] == [event.event_id]

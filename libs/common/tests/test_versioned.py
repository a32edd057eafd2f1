"""Versioned writes on the real PostgreSQL, a batch at a time: only a strictly newer version changes a row, whatever
the order inside a batch or across batches; deletes leave tombstones that an older upsert never undoes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Numeric, String, Table, Text, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crm_common.db import create_engine
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Deleted, Folder
from crm_common.messaging.consumer import PoisonEvent
from crm_common.versioned import (
    VersionedBatch,
    VersionedTable,
    ensure_same_entity,
    insert_rows,
    tombstone_route,
    upsert_route,
    without_repeats,
)
from crm_testing import test_database_url

SCHEMA = f"versioned_{uuid.uuid4().hex[:8]}"
THINGS = Table(
    "things",
    MetaData(schema=SCHEMA),
    Column("id", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("account_id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("code", String),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("extra", JSONB, nullable=False, server_default=text("'{}'")),
    Column("amount", Numeric),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("source_version", BigInteger, nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)
TABLE = VersionedTable(THINGS, origin=True, placeholder=lambda d: {"name": "(deleted)", "updated_at": d.deleted_at})
UPDATED = datetime(2024, 2, 1, 9, 30, tzinfo=UTC)
DELETED_AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def thing_row(folder: Folder) -> dict[str, Any]:
    """A folder event stands in for any entity: name, code, and columns of every awkward type."""
    return {
        "id": folder.id,
        "name": folder.name,
        "code": folder.code,
        "tags": [folder.name, "b,c", 'q"uote'],
        "extra": {"path": folder.path, "n": [1, 2]},
        "amount": Decimal("1234.5600"),
        "updated_at": folder.updated_at,
    }


ROWS = VersionedBatch({"folder.upserted": (TABLE, upsert_route(TABLE, Folder, thing_row))})
ROWS.routes["folder.deleted"] = (TABLE, tombstone_route(TABLE))


def upserted(version: int, name: str = "a", entity_id: str = "t1", payload_id: str | None = None) -> EventEnvelope:
    payload = Folder(id=payload_id or entity_id, name=name, code="C-1", path="x/y", updated_at=UPDATED)
    return make_event(
        "folder.upserted", source="s", account_id="acc", entity_id=entity_id, source_version=version, payload=payload
    )


def deleted(version: int, entity_id: str = "t1") -> EventEnvelope:
    payload = Deleted(id=entity_id, deleted_at=DELETED_AT)
    return make_event(
        "folder.deleted", source="s", account_id="acc", entity_id=entity_id, source_version=version, payload=payload
    )


def live(version: int, name: str = "a", entity_id: str = "t1") -> dict[str, Any]:
    return {
        "id": entity_id,
        "source": "s",
        "account_id": "acc",
        "name": name,
        "code": "C-1",
        "tags": [name, "b,c", 'q"uote'],
        "extra": {"path": "x/y", "n": [1, 2]},
        "amount": Decimal("1234.5600"),
        "updated_at": UPDATED,
        "source_version": version,
        "deleted_at": None,
    }


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), SCHEMA, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await conn.run_sync(THINGS.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine) as session:
        yield session
        await session.rollback()


async def row(session: AsyncSession, thing_id: str = "t1") -> dict[str, Any] | None:
    found = (await session.execute(select(THINGS).where(THINGS.c.id == thing_id))).mappings().first()
    return dict(found) if found is not None else None


async def apply(session: AsyncSession, *events: EventEnvelope) -> dict[Any, bool]:
    """One batch; the keys whose deciding event was written."""
    return (await ROWS.write(session, events))[TABLE].final


async def test_a_first_write_inserts_the_row_with_every_column_type_intact(session: AsyncSession) -> None:
    assert await apply(session, upserted(5)) == {"t1": True}
    assert await row(session) == live(5)


async def test_a_newer_version_in_a_later_batch_overwrites_the_row(session: AsyncSession) -> None:
    await apply(session, upserted(5))
    assert await apply(session, upserted(6, name="b")) == {"t1": False}
    assert await row(session) == live(6, name="b")


@pytest.mark.parametrize("version", [5, 4])
async def test_an_equal_or_older_version_in_a_later_batch_changes_nothing(session: AsyncSession, version: int) -> None:
    await apply(session, upserted(5))
    assert await apply(session, upserted(version, name="b")) == {}
    assert await row(session) == live(5)


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 2, 1), (2, 3, 1), (1, 3, 2)])
async def test_versions_out_of_order_inside_one_batch_leave_the_newest(
    session: AsyncSession, order: tuple[int, ...]
) -> None:
    await apply(session, *[upserted(v, name=f"v{v}") for v in order])
    assert await row(session) == live(3, name="v3")


async def test_the_same_key_twice_in_a_batch_with_one_version_keeps_the_first(session: AsyncSession) -> None:
    # Redelivered with other content: one at a time, the second (not newer) would change nothing.
    await apply(session, upserted(4, name="first"), upserted(4, name="second"))
    assert await row(session) == live(4, name="first")


async def test_a_batch_older_than_the_stored_row_changes_nothing_even_with_many_versions(
    session: AsyncSession,
) -> None:
    await apply(session, upserted(10, name="stored"))
    await apply(session, upserted(7), upserted(9), upserted(8))
    assert await row(session) == live(10, name="stored")


async def test_a_delete_of_an_unseen_entity_leaves_a_tombstone_with_placeholders(session: AsyncSession) -> None:
    assert await apply(session, deleted(7)) == {"t1": True}
    assert await row(session) == {
        "id": "t1",
        "source": "s",
        "account_id": "acc",
        "name": "(deleted)",
        "code": None,
        "tags": [],
        "extra": {},
        "amount": None,
        "updated_at": DELETED_AT,
        "source_version": 7,
        "deleted_at": DELETED_AT,
    }


async def test_a_newer_delete_marks_the_row_and_keeps_its_data(session: AsyncSession) -> None:
    await apply(session, upserted(5))
    assert await apply(session, deleted(6)) == {"t1": False}
    assert await row(session) == {**live(6), "deleted_at": DELETED_AT}


async def test_an_upsert_then_its_delete_in_one_batch_keep_the_upserted_data_under_the_tombstone(
    session: AsyncSession,
) -> None:
    await apply(session, upserted(5, name="old"))
    await apply(session, upserted(6, name="new"), deleted(7))
    assert await row(session) == {**live(7, name="new"), "deleted_at": DELETED_AT}


@pytest.mark.parametrize("same_batch", [True, False])
async def test_an_older_upsert_after_a_delete_does_not_bring_the_entity_back(
    session: AsyncSession, same_batch: bool
) -> None:
    if same_batch:
        await apply(session, deleted(7), upserted(6, name="zombie"))
    else:
        await apply(session, deleted(7))
        assert await apply(session, upserted(6, name="zombie")) == {}
    found = await row(session) or {}
    assert (found["name"], found["deleted_at"], found["source_version"]) == ("(deleted)", DELETED_AT, 7)


async def test_a_newer_upsert_after_a_delete_brings_the_entity_back(session: AsyncSession) -> None:
    await apply(session, deleted(7), upserted(8, name="again"))
    assert await row(session) == live(8, name="again")


@pytest.mark.parametrize("version", [5, 4])
async def test_an_equal_or_older_delete_changes_nothing(session: AsyncSession, version: int) -> None:
    await apply(session, upserted(5))
    assert await apply(session, deleted(version)) == {}
    assert await row(session) == live(5)


async def test_a_batch_touches_only_its_own_rows(session: AsyncSession) -> None:
    await apply(session, upserted(5))
    await apply(session, upserted(9, name="other", entity_id="t2"), deleted(9, entity_id="t3"))
    assert await row(session) == live(5)
    assert await row(session, "t2") == live(9, name="other", entity_id="t2")


async def test_a_bad_event_in_the_middle_of_a_batch_raises_before_anything_is_written(session: AsyncSession) -> None:
    """The consumer then retries the batch one event at a time and dead-letters only the bad one
    (messaging/test_batch_consumer.py runs that over real Kafka through this writer)."""
    good, bad = upserted(1, entity_id="t1"), upserted(1, entity_id="t2", payload_id="t9")
    with pytest.raises(PoisonEvent, match="entity_id 't2' does not match payload id 't9'"):
        await apply(session, good, bad, upserted(1, entity_id="t3"))
    assert await row(session) is None
    for event in (good, upserted(1, entity_id="t3")):
        await apply(session, event)
    assert [await row(session, i) is not None for i in ("t1", "t2", "t3")] == [True, False, True]


async def test_the_upserted_rows_of_a_batch_are_the_written_full_rows(session: AsyncSession) -> None:
    await apply(session, upserted(5, entity_id="t2"))
    written = (await ROWS.write(session, [upserted(6, name="n"), upserted(4, entity_id="t2"), deleted(8, "t3")]))[TABLE]
    assert [item.row["name"] for item in written.upserted()] == ["n"]


def test_a_batch_splits_into_runs_where_no_entity_repeats() -> None:
    events = [upserted(1), upserted(1, entity_id="t2"), deleted(2), upserted(3, entity_id="t3"), upserted(4)]
    runs = without_repeats(events)
    assert [[(e.entity_id, e.source_version) for e in run] for run in runs] == [
        [("t1", 1), ("t2", 1)],
        [("t1", 2), ("t3", 3)],
        [("t1", 4)],
    ]


def test_an_event_whose_key_and_payload_name_one_entity_passes() -> None:
    event = make_event("thing.upserted", source="s", account_id="a", entity_id="t1", source_version=1, payload={})
    ensure_same_entity(event, "t1")


def test_an_event_whose_key_and_payload_disagree_is_poison() -> None:
    event = make_event("thing.upserted", source="s", account_id="a", entity_id="t1", source_version=1, payload={})
    with pytest.raises(PoisonEvent, match="entity_id 't1' does not match payload id 't2'"):
        ensure_same_entity(event, "t2")


async def test_plain_inserts_skip_or_overwrite_existing_keys_as_asked(session: AsyncSession) -> None:
    first = {**live(1, "first"), "id": "p1"}
    await insert_rows(session, THINGS, [first])
    again = {**live(1, "again"), "id": "p1"}
    await insert_rows(session, THINGS, [again, {**live(1, "new"), "id": "p2"}], skip_existing=True)
    assert (await row(session, "p1")) == first
    assert (await row(session, "p2")) == {**live(1, "new"), "id": "p2"}
    # overwrite: every given column but the key, whatever the stored version (no version check)
    over = {**live(0, "over"), "id": "p1", "amount": Decimal("7")}
    await insert_rows(session, THINGS, [over, {**live(5, "new2"), "id": "p3"}], update_existing=True)
    assert (await row(session, "p1")) == over
    assert (await row(session, "p3")) == {**live(5, "new2"), "id": "p3"}

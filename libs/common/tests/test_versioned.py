"""Versioned writes on the real PostgreSQL: only a strictly newer version changes a row; deletes leave tombstones."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crm_common.db import create_engine
from crm_common.events.envelope import make_event
from crm_common.messaging.consumer import PoisonEvent
from crm_common.testing import test_database_url
from crm_common.versioned import ensure_same_entity, tombstone_if_newer, upsert_if_newer

SCHEMA = f"versioned_{uuid.uuid4().hex[:8]}"
THINGS = Table(
    "things",
    MetaData(schema=SCHEMA),
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("colour", String),
    Column("source_version", BigInteger, nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)
DELETED_AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


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


async def row(session: AsyncSession, thing_id: str) -> dict[str, Any] | None:
    found = (await session.execute(select(THINGS).where(THINGS.c.id == thing_id))).mappings().first()
    return dict(found) if found is not None else None


def thing(version: int, name: str = "a", colour: str | None = "red") -> dict[str, Any]:
    return {"id": "t1", "name": name, "colour": colour, "source_version": version}


async def tombstone(session: AsyncSession, version: int, entity_id: str = "t1") -> bool:
    placeholder = {"name": "(deleted)"}
    return await tombstone_if_newer(
        session, THINGS, entity_id=entity_id, version=version, deleted_at=DELETED_AT, placeholder=placeholder
    )


async def test_a_first_write_inserts_the_row(session: AsyncSession) -> None:
    assert await upsert_if_newer(session, THINGS, thing(5)) is True
    assert await row(session, "t1") == {**thing(5), "deleted_at": None}


async def test_a_newer_version_overwrites_every_column(session: AsyncSession) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    assert await upsert_if_newer(session, THINGS, thing(6, name="b", colour=None)) is True
    assert await row(session, "t1") == {**thing(6, name="b", colour=None), "deleted_at": None}


@pytest.mark.parametrize("version", [5, 4])
async def test_an_equal_or_older_version_changes_nothing(session: AsyncSession, version: int) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    assert await upsert_if_newer(session, THINGS, thing(version, name="b")) is False
    assert await row(session, "t1") == {**thing(5), "deleted_at": None}


async def test_a_write_touches_only_its_own_row(session: AsyncSession) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    await upsert_if_newer(session, THINGS, {**thing(9, name="other"), "id": "t2"})
    assert await row(session, "t1") == {**thing(5), "deleted_at": None}


async def test_a_delete_of_an_unseen_entity_leaves_a_tombstone_with_placeholders(session: AsyncSession) -> None:
    assert await tombstone(session, 7) is True
    assert await row(session, "t1") == {
        "id": "t1",
        "name": "(deleted)",
        "colour": None,
        "source_version": 7,
        "deleted_at": DELETED_AT,
    }


async def test_a_newer_delete_marks_the_row_and_keeps_its_data(session: AsyncSession) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    assert await tombstone(session, 6) is True
    assert await row(session, "t1") == {**thing(6), "deleted_at": DELETED_AT}


@pytest.mark.parametrize("version", [5, 4])
async def test_an_equal_or_older_delete_changes_nothing(session: AsyncSession, version: int) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    assert await tombstone(session, version) is False
    assert await row(session, "t1") == {**thing(5), "deleted_at": None}


async def test_an_older_upsert_after_a_delete_does_not_bring_the_entity_back(session: AsyncSession) -> None:
    await tombstone(session, 7)
    assert await upsert_if_newer(session, THINGS, thing(6, name="zombie")) is False
    assert (await row(session, "t1") or {})["deleted_at"] == DELETED_AT


async def test_a_delete_touches_only_its_own_row(session: AsyncSession) -> None:
    await upsert_if_newer(session, THINGS, thing(5))
    await tombstone(session, 9, entity_id="t2")
    assert await row(session, "t1") == {**thing(5), "deleted_at": None}


def test_an_event_whose_key_and_payload_name_one_entity_passes() -> None:
    event = make_event("thing.upserted", source="s", account_id="a", entity_id="t1", source_version=1, payload={})
    ensure_same_entity(event, "t1")


def test_an_event_whose_key_and_payload_disagree_is_poison() -> None:
    event = make_event("thing.upserted", source="s", account_id="a", entity_id="t1", source_version=1, payload={})
    with pytest.raises(PoisonEvent, match="entity_id 't1' does not match payload id 't2'"):
        ensure_same_entity(event, "t2")

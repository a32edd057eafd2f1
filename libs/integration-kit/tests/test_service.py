"""The kit's job lifecycle, scheduler takeover and ledger diff, driven by a toy source (no source HTTP at all)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from crm_integration.events import epoch_micros, source_event
from crm_integration.reconcile import Tally, gone_ids
from crm_integration.scheduler import SyncScheduler
from crm_integration.service import JobService, Outcome, Source

TOY = Source("toy", "Toy", ("full", "incremental", "resume"), frozenset({"store"}))


class ListSink:
    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        self.events += events


def store_event(account: str, store_id: str, change: str = "upserted") -> EventEnvelope:
    now = datetime.now(UTC)
    store = m.Store(id=store_id, name="S", updated_at=now)
    payload: Any = m.Deleted(id=store_id, deleted_at=now) if change == "deleted" else store
    return source_event(
        "toy",
        f"store.{change}",
        account_id=account,
        entity_id=store_id,
        version=epoch_micros(now),
        payload=payload,
        when=now,
    )


class ToySync(JobService[Any]):
    """A source whose work publishes one store per call, or fails when told to."""

    def __init__(self, kit: Any, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.published = ListSink()
        super().__init__(TOY, kit.tables, engine, sessions, self.published)
        self.account = f"acc-{uuid.uuid4().hex[:8]}"
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def work(self, job: Any, types: Collection[str] | None) -> Outcome:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        await self.sink.publish([store_event(self.account, f"s-{job.mode}")])
        return "succeeded", None, self.account


@pytest.fixture
def toy(kit: Any, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> ToySync:
    return ToySync(kit, engine, sessions)


def integration() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


async def test_a_job_runs_records_its_outcome_and_fills_the_ledger(toy: ToySync) -> None:
    job = await toy.run(integration(), "full", "manual")
    async with transaction(toy.sessions) as session:
        live = await toy.tables.ledger(session).live_ids(toy.account, "store")
    assert job.status == "succeeded"
    assert job.finished_at is not None
    assert [e.event_type for e in toy.published.events] == ["store.upserted", "sync.completed"]
    assert toy.published.events[1].source == "toy"
    assert live == {"s-full"}


async def test_a_failed_job_says_why_and_raises_an_alert(toy: ToySync) -> None:
    toy.fail = RuntimeError("the portal is gone")
    job = await toy.run(integration(), "incremental", "schedule")
    assert (job.status, job.detail) == ("failed", "RuntimeError: the portal is gone")
    alert = next(e for e in toy.published.events if e.event_type == "alert.raised")
    assert alert.payload["title"] == "Toy sync failed"


async def test_a_second_sync_of_one_integration_is_refused_while_one_runs(toy: ToySync) -> None:
    it = integration()
    toy.gate = asyncio.Event()
    running = await toy.start(it, "full", "manual")
    with pytest.raises(Conflict, match=str(running.id)):
        await toy.run(it, "incremental", "schedule")
    toy.gate.set()
    await asyncio.gather(*toy.tasks)
    assert (await toy.run(it, "incremental", "schedule")).status == "succeeded"


async def test_an_unknown_mode_is_refused(toy: ToySync) -> None:
    with pytest.raises(ValueError, match="unknown sync mode"):
        await toy.run(integration(), "stock", "manual")


async def test_an_orphaned_full_sync_is_taken_over_as_a_resume(toy: ToySync, kit: Any) -> None:
    it = integration()
    async with transaction(toy.sessions) as session:  # a job whose process died: running, nobody holds the lock
        now = datetime.now(UTC)
        orphan = kit.job(
            integration_id=it,
            mode="full",
            trigger="schedule",
            status="running",
            counts={},
            progress={},
            errors=[],
            started_at=now,
            heartbeat_at=now,
        )
        await toy.tables.jobs(session).add(orphan)

    async def ids() -> list[str]:
        return [it]

    await SyncScheduler(toy, ids, 3600).take_over()
    async with transaction(toy.sessions) as session:
        jobs, _ = await toy.tables.jobs(session).page(it, 10, 0)
    assert sorted((j.mode, j.trigger, j.status) for j in jobs) == [
        ("full", "schedule", "interrupted"),
        ("resume", "takeover", "succeeded"),
    ]


async def test_reconciliation_deletes_only_what_the_confirming_listing_misses_too(toy: ToySync) -> None:
    await toy.sink.publish([store_event(toy.account, s) for s in ("a", "b", "c", "d")])
    await toy.sink.publish([store_event(toy.account, "d", "deleted")])
    tally = Tally()

    async def confirm(candidates: list[str]) -> set[str]:
        assert candidates == ["b", "c"]  # d was published as deleted already
        return {"c"}  # a row the first listing skipped

    gone = await gone_ids(toy.sessions, toy.tables, toy.account, "store", {"a"}, confirm, tally)
    assert gone == ["b"]
    assert tally.counts() == {
        "listed": 1,
        "known": 3,
        "deleted": 0,
        "still_listed": 1,
        "requests": 0,
        "deleted.store": 1,
    }

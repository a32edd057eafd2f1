"""The kit's tables and repositories in a connector's own schema (here a throwaway one), on real Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_integration.credentials import IntegrationRepository
from crm_integration.jobs import Cursor, DeadLetterIn
from crm_integration.ledger import Entry
from crm_integration.lock import IntegrationLock
from crm_integration.webhooks import ReceiptRepository


def new_job(kit: Any, integration_id: str, status: str = "running", mode: str = "full") -> Any:
    now = datetime.now(UTC)
    return kit.job(
        integration_id=integration_id,
        mode=mode,
        trigger="manual",
        status=status,
        counts={},
        progress={},
        errors=[],
        started_at=now,
        heartbeat_at=now,
    )


def some_id() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


async def test_orphaned_jobs_are_interrupted_and_pages_add_up(
    sessions: async_sessionmaker[AsyncSession], kit: Any
) -> None:
    integration = some_id()
    async with transaction(sessions) as session:
        job = await kit.tables.jobs(session).add(new_job(kit, integration))
    async with transaction(sessions) as session:
        jobs = kit.tables.jobs(session)
        await jobs.record_page(job.id, "contact", 50)
        await jobs.record_page(job.id, "contact", 7)
        await jobs.record_skipped(job.id, [DeadLetterIn("contact", "9", "ValueError: no phone\nmore", {"ID": "9"})])
    async with transaction(sessions) as session:
        assert [j.id for j in [await kit.tables.jobs(session).active(integration)] if j] == [job.id]
        assert await kit.tables.jobs(session).interrupt_active(integration, "its process stopped") == [job.id]
    async with transaction(sessions) as session:
        held = await kit.tables.jobs(session).get(job.id)
        assert await kit.tables.jobs(session).active(integration) is None
    assert held is not None
    assert (held.status, held.counts, held.skipped) == (
        "interrupted",
        {"contact": 57},
        {"contact": {"ValueError: no phone": 1}},
    )


async def test_one_active_job_per_integration_is_enforced_by_the_table(
    sessions: async_sessionmaker[AsyncSession], kit: Any
) -> None:
    integration = some_id()
    async with transaction(sessions) as session:
        await kit.tables.jobs(session).add(new_job(kit, integration))
    with pytest.raises(Exception, match="uq_sync_jobs_active"):
        async with transaction(sessions) as session:
            await kit.tables.jobs(session).add(new_job(kit, integration, status="queued"))


async def test_a_full_reset_keeps_the_cursors_named(sessions: async_sessionmaker[AsyncSession], kit: Any) -> None:
    integration, job_id = some_id(), uuid.uuid4()
    async with transaction(sessions) as session:
        cursors = kit.tables.cursors(session)
        await cursors.save(integration, "contact", Cursor("2026-11-20T12:00:00+03:00", "17"), job_id)
        await cursors.save(integration, "events", Cursor("2026-11-20T12:00:00+03:00", None), job_id)
        await cursors.save(integration, "contact", Cursor("2026-11-21T12:00:00+03:00", "18"), job_id)
    async with transaction(sessions) as session:
        assert await kit.tables.cursors(session).get(integration, "contact") == Cursor(
            "2026-11-21T12:00:00+03:00", "18"
        )
        await kit.tables.cursors(session).reset(integration, keep=("events",))
    async with transaction(sessions) as session:
        assert await kit.tables.cursors(session).get(integration, "contact") == Cursor()
        assert (await kit.tables.cursors(session).get(integration, "events")).last_updated is not None


async def test_skipped_objects_are_kept_with_their_body_and_listed_per_job(
    sessions: async_sessionmaker[AsyncSession], kit: Any
) -> None:
    integration, job_id = some_id(), uuid.uuid4()
    async with transaction(sessions) as session:
        letters = [DeadLetterIn("deal", str(n), "KeyError: 'STAGE_ID'", {"ID": str(n)}) for n in range(3)]
        await kit.tables.dead_letters(session).add_many(integration, job_id, letters)
    async with transaction(sessions) as session:
        rows, total = await kit.tables.dead_letters(session).page(integration, 2, 0, job_id=job_id)
    assert total == 3
    assert [r.raw for r in rows] == [{"ID": "2"}, {"ID": "1"}]


async def test_the_ledger_never_lets_an_older_event_revive_a_deleted_id(
    sessions: async_sessionmaker[AsyncSession], kit: Any
) -> None:
    account = some_id()
    async with transaction(sessions) as session:
        ledger = kit.tables.ledger(session)
        await ledger.record([Entry(account, "contact", "c1", True, 10), Entry(account, "contact", "c2", True, 10)])
        await ledger.record([Entry(account, "contact", "c1", False, 20)])
        await ledger.record([Entry(account, "contact", "c1", True, 15)])
    async with transaction(sessions) as session:
        assert await kit.tables.ledger(session).live_ids(account, "contact") == {"c2"}


async def test_a_webhook_request_id_is_accepted_once(sessions: async_sessionmaker[AsyncSession], kit: Any) -> None:
    request_id = uuid.uuid4().hex
    async with transaction(sessions) as session:
        receipts = ReceiptRepository(session, kit.receipt)
        assert await receipts.add(request_id, "shop", [{"event": "ONCRMDEALUPDATE"}])
        assert not await receipts.add(request_id, "shop", [])
        assert await receipts.prune(datetime.now(UTC) + timedelta(seconds=1)) >= 1


async def test_stored_integrations_are_listed_in_id_order(sessions: async_sessionmaker[AsyncSession], kit: Any) -> None:
    first, second = f"a-{some_id()}", f"b-{some_id()}"
    async with transaction(sessions) as session:
        for integration_id in (second, first):
            session.add(
                kit.integration(id=integration_id, base_url="https://x", auth_kind="token", secret_encrypted=b".")
            )
    async with transaction(sessions) as session:
        ids = [row.id for row in await IntegrationRepository(session, kit.integration).all()]
    assert ids.index(first) < ids.index(second)


async def test_the_lock_admits_one_holder_per_integration_and_namespace(engine: AsyncEngine) -> None:
    integration = some_id()
    held = IntegrationLock(engine, integration, "bitrix24-sync")
    assert await held.try_acquire()
    try:
        assert not await IntegrationLock(engine, integration, "bitrix24-sync").try_acquire()
        other_source = IntegrationLock(engine, integration, "moysklad-sync")
        assert await other_source.try_acquire()
        await other_source.release()
    finally:
        await held.release()
    again = IntegrationLock(engine, integration, "bitrix24-sync")
    assert await again.try_acquire()
    await again.release()

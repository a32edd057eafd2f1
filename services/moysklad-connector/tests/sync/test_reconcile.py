"""Reconciliation: deletes the audit feed never showed are found by listing ids, published once, and only them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from connector_testkit import account_events, latest_state
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.topics import PRODUCTS, SALES
from crm_integration.ledger import Entry
from moysklad_connector.client import MoySkladClient
from moysklad_connector.client.http import ListPage
from moysklad_connector.integrations import service as integrations
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.sync.reconcile import reconcile
from moysklad_connector.sync.scheduler import DailyReconcile, SyncScheduler, next_daily
from moysklad_connector.sync.service import SyncService
from moysklad_connector.tables import TABLES, SyncJob
from moysklad_simulator.testing import RunningSimulator


@pytest.fixture(autouse=True)
async def fresh_ledger(request: pytest.FixtureRequest, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Simulator seeds, hence account ids, repeat between runs on one database: start each account's ledger empty."""
    if "sim" in request.fixturenames:
        account = request.getfixturevalue("sim").state.account_id
        async with transaction(sessions) as session:
            await TABLES.ledger(session).forget(account)


def remove_behind_the_connectors_back(sim: RunningSimulator, entity_type: str, entity_id: str) -> None:
    response = httpx.delete(f"{sim.base_url}/__sim/entity/{entity_type}/{entity_id}")
    assert response.status_code == 204, response.text


async def deletes(topic: str, account_id: str, *, besides: dict[str, str] | None = None) -> dict[str, str]:
    """The deletes on ``topic`` for the account, but those in ``besides`` (published earlier, e.g. by the full sync
    for the documents the shop already has in its recycle bin)."""
    found = {
        e.entity_id: e.event_type for e in await account_events(topic, account_id) if e.event_type.endswith(".deleted")
    }
    return {k: v for k, v in found.items() if k not in (besides or {})}


async def test_a_delete_the_audit_feed_missed_is_published_once_and_nothing_else(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    account = sim.state.account_id
    before = {**await deletes(PRODUCTS.name, account), **await deletes(SALES.name, account)}
    product = sim.state.records("product")[0]["id"]
    order = next(d for d in sim.state.records("customerorder") if not d.get("_trashed"))["id"]
    remove_behind_the_connectors_back(sim, "product", product)
    remove_behind_the_connectors_back(sim, "customerorder", order)

    incremental = await service.run(integration, "incremental", "manual")
    missed = latest_state(await account_events(PRODUCTS.name, account))[product].event_type
    first = await service.run(integration, "reconcile", "manual")
    after_first = {
        **await deletes(PRODUCTS.name, account, besides=before),
        **await deletes(SALES.name, account, besides=before),
    }
    second = await service.run(integration, "reconcile", "manual")
    after_second = {
        **await deletes(PRODUCTS.name, account, besides=before),
        **await deletes(SALES.name, account, besides=before),
    }

    assert incremental.status == "succeeded"
    assert missed == "product.upserted"
    assert first.status == "succeeded", first.detail
    assert after_first == {product: "product.deleted", order: "customer_order.deleted"}
    assert (first.counts["deleted"], first.counts["deleted.product"], first.counts["deleted.customer_order"]) == (
        2,
        1,
        1,
    )
    assert first.counts["known"] == first.counts["listed"] + 2
    assert first.counts["requests"] > 0
    assert second.counts["deleted"] == 0
    assert second.counts["known"] == second.counts["listed"]
    assert after_second == after_first


async def test_a_document_trashed_without_an_audit_record_is_deleted_and_an_archived_product_is_not(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    before = await deletes(SALES.name, sim.state.account_id)
    doc = next(d for d in sim.state.records("retaildemand") if not d.get("_trashed"))
    doc["_trashed"] = True  # in the recycle bin, `updated` unchanged, no audit context
    archived = sim.state.records("product")[1]
    archived["archived"] = True  # archiving hides a product from plain lists, but it is not a delete

    job = await service.run(integration, "reconcile", "manual")

    assert await deletes(SALES.name, sim.state.account_id, besides=before) == {doc["id"]: "retail_sale.deleted"}
    assert archived["id"] not in await deletes(PRODUCTS.name, sim.state.account_id)
    assert job.counts["deleted"] == 1


class ShiftedListing:
    """A real client whose first listing of products misses one row, as offset paging does when a row before the
    offset is deleted while the pages are read; the id-filtered confirming listings are left alone."""

    def __init__(self, inner: MoySkladClient, missed: str) -> None:
        self.inner, self.missed = inner, missed

    async def list_page(self, path: str, params: dict[str, str]) -> ListPage:
        page = await self.inner.list_page(path, params)
        if path.endswith("/product") and "id=" not in params["filter"]:
            return ListPage([r for r in page.rows if r.get("id") != self.missed], page.size, page.next_href)
        return page


async def test_a_row_the_listing_skipped_is_confirmed_live_and_not_deleted(
    sim: RunningSimulator, integration: str, service: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await service.run(integration, "full", "manual")
    missed = sim.state.records("product")[2]["id"]
    async with transaction(sessions) as session:
        config = await integrations.resolve(session, service.settings, integration)
    async with MoySkladClient(config.credentials, integrations.pacing_from(service.settings)) as client:
        ctx = SyncContext(integration, uuid.uuid4(), ShiftedListing(client, missed), sessions, service.sink)
        ctx.account_id = sim.state.account_id
        tally = await reconcile(ctx)

    assert (tally.still_listed, tally.deleted) == (1, 0)
    assert missed not in await deletes(PRODUCTS.name, sim.state.account_id)


async def test_an_older_event_replayed_after_a_delete_does_not_bring_the_id_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    account = f"acc-{datetime.now(UTC).timestamp()}"
    async with transaction(sessions) as session:
        ledger = TABLES.ledger(session)
        await ledger.record([Entry(account, "product", "p1", True, 10), Entry(account, "product", "p2", True, 10)])
        await ledger.record([Entry(account, "product", "p1", False, 20)])
        await ledger.record([Entry(account, "product", "p1", True, 15), Entry(account, "product", "p2", True, 11)])
        live = await ledger.live_ids(account, "product")
    assert live == {"p2"}


async def test_reconciliation_never_runs_beside_another_sync_and_the_scheduler_retries_it(
    sim: RunningSimulator, integration: str, service: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def only_mine() -> list[str]:
        return [integration]

    scheduler = SyncScheduler(service, only_mine, 3600, reconcile=DailyReconcile(4, timedelta(minutes=10)))
    held = service.lock(integration)
    assert await held.try_acquire()
    try:
        await scheduler.reconcile_round()
    finally:
        await held.release()
    retry_at = scheduler.reconcile_at
    before = datetime.now(UTC)
    await scheduler.reconcile_round()
    after = datetime.now(UTC)
    async with transaction(sessions) as session:
        jobs = list(await session.scalars(select(SyncJob).where(SyncJob.integration_id == integration)))

    assert retry_at is not None
    assert retry_at - datetime.now(UTC) < timedelta(minutes=10)
    assert [(j.mode, j.trigger, j.status) for j in jobs] == [("reconcile", "schedule", "succeeded")]
    # done for today: the next pass is the next 04:00 in Moscow, not a retry (which a run just before 04:00 is near)
    assert scheduler.reconcile_at in {next_daily(before, 4), next_daily(after, 4)}


def test_the_daily_reconciliation_is_due_at_the_next_moscow_hour() -> None:
    before = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)  # 03:30 in Moscow
    after = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 04:00 in Moscow: due again tomorrow

    assert next_daily(before, 4) == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert next_daily(after, 4) == datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
    summer_2012 = datetime(2012, 6, 30, 23, 0, tzinfo=UTC)  # 03:00 in Moscow, then UTC+4
    assert next_daily(summer_2012, 4) == datetime(2012, 7, 1, 0, 0, tzinfo=UTC)

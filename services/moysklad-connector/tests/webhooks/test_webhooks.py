"""Webhooks over real sockets: the simulator registers and delivers, the connector records, de-duplicates, syncs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from connector_testkit import account_events, connector_settings, delete_product, touch_product
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.topics import PRODUCTS
from crm_testing import eventually, serve_in_thread
from moysklad_connector.app import create_app
from moysklad_connector.client import Credentials, MoySkladClient
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.scheduler import SyncScheduler
from moysklad_connector.sync.service import SyncService
from moysklad_connector.sync.specs import SPECS
from moysklad_connector.tables import SyncJob, WebhookReceipt
from moysklad_connector.webhooks.api import _types
from moysklad_connector.webhooks.registration import HOOK_TYPES, ensure_webhooks
from moysklad_connector.webhooks.tokens import webhook_token, webhook_url
from moysklad_simulator.testing import RunningSimulator

PATH = "/api/v1/integrations/moysklad/webhook"


@pytest.fixture(scope="module")
def app(migrated: None) -> FastAPI:
    return create_app(connector_settings(create_topics=False))


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


def hook_settings(api: str) -> ConnectorSettings:
    return connector_settings(public_webhook_url=f"{api}{PATH}")


async def receipts(sessions: async_sessionmaker[AsyncSession], integration: str) -> int:
    async with transaction(sessions) as session:
        query = select(func.count()).where(WebhookReceipt.integration_id == integration)
        return int(await session.scalar(query) or 0)


async def test_a_notification_is_accepted_fast_once_per_request_id(
    api: str, app: FastAPI, sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings
) -> None:
    integration = f"hook-{time.monotonic_ns()}"
    params = {
        "integration": integration,
        "token": webhook_token(settings, integration),
        "requestId": f"r-{integration}",
    }
    body = {"events": [{"meta": {"type": "product", "href": "x"}, "action": "UPDATE"}]}
    async with httpx.AsyncClient(base_url=api, timeout=5) as client:
        first = await client.post(PATH, params=params, json=body)
        again = await client.post(PATH, params=params, json=body)  # MoySklad's retry: same requestId
    assert (first.status_code, again.status_code) == (204, 204)
    assert await receipts(sessions, integration) == 1
    # Fast means the answer never waits for a sync (MoySklad gives up after 1.5 s): the notification is only queued
    # as a hint for the scheduler, and no sync job exists yet when the 204 is out.
    assert integration in app.state.scheduler.hints.pending
    async with transaction(sessions) as session:
        jobs = await session.scalar(select(func.count()).where(SyncJob.integration_id == integration))
    assert jobs == 0


async def test_a_wrong_or_missing_token_is_refused(api: str, settings: ConnectorSettings) -> None:
    other = webhook_token(settings, "another")
    async with httpx.AsyncClient(base_url=api, timeout=5) as client:
        wrong = await client.post(PATH, params={"integration": "default", "token": other}, json={})
        missing = await client.post(PATH, params={"integration": "default"}, json={})
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert wrong.json()["error"] == "Forbidden"


async def test_registration_creates_each_webhook_once_and_replaces_stale_tokens(
    sim: RunningSimulator, api: str
) -> None:
    settings = hook_settings(api)
    url = webhook_url(settings, "default")
    assert url is not None
    credentials = Credentials(sim.api_url, *sim.basic_auth)
    async with MoySkladClient(credentials) as client:
        stale = url.replace("token=", "token=old")
        await client.request("POST", "entity/webhook", json={"url": stale, "action": "CREATE", "entityType": "product"})
        created = await ensure_webhooks(client, url)
        again = await ensure_webhooks(client, url)
    hooks = sim.state.records("webhook")
    assert created == len(HOOK_TYPES) * 3
    assert again == 0
    assert {h["url"] for h in hooks} == {url}
    assert len({(h["entityType"], h["action"]) for h in hooks}) == len(hooks)


async def test_the_simulators_notifications_reach_the_receiver_on_the_first_attempt(
    sim: RunningSimulator, api: str, integration: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = hook_settings(api)
    url = webhook_url(settings, integration)
    assert url is not None
    async with MoySkladClient(Credentials(sim.api_url, *sim.basic_auth)) as client:
        await ensure_webhooks(client, url, ("product",))
    victim = sim.state.records("product")[4]["id"]
    delete_product(sim, victim)  # audit + DELETE webhook, delivered by the simulator

    def deliveries() -> list[tuple[int, int | None]]:
        return [(d["attempt"], d["status"]) for d in sim.state.webhook_log if integration in d["url"]]

    async def answered() -> bool:
        # The receiver commits its receipt before it answers; the simulator logs the attempt once the answer is read.
        return await receipts(sessions, integration) > 0 and any(status == 204 for _, status in deliveries())

    await eventually(answered, timeout=10)
    assert await receipts(sessions, integration) == 1
    assert deliveries() == [(1, 204)]


async def test_a_hint_runs_an_incremental_sync_soon(
    sim: RunningSimulator, integration: str, service: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def ids() -> list[str]:
        return [integration]

    scheduler = SyncScheduler(service, ids, interval_seconds=3600, debounce_seconds=0.2)
    scheduler.start()
    try:
        changed = sim.state.records("product")[2]["id"]
        for _ in range(300):  # the first round: a full sync
            if await _jobs(sessions, integration, "schedule"):
                break
            await asyncio.sleep(0.05)
        touch_product(sim, changed, "Изменён через вебхук")
        scheduler.hint(integration)
        scheduler.hint(integration)  # a burst costs one sync
        for _ in range(300):
            if await _jobs(sessions, integration, "webhook"):
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
    hinted = await _jobs(sessions, integration, "webhook")
    assert [(j.mode, j.status) for j in hinted] == [("incremental", "succeeded")]
    assert hinted[0].counts.get("product") == 1
    assert set(hinted[0].progress) == {spec.name for spec in SPECS.values()}  # a hint without types: every type
    names = [e.payload["name"] for e in await account_events(PRODUCTS.name, sim.state.account_id)]
    assert "Изменён через вебхук" in names


async def test_a_hint_that_names_types_pages_only_those(
    sim: RunningSimulator, integration: str, service: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await service.run(integration, "full", "manual")
    changed = sim.state.records("product")[3]["id"]
    touch_product(sim, changed, "Только товары")

    async def ids() -> list[str]:
        return [integration]

    scheduler = SyncScheduler(service, ids, interval_seconds=3600, settle_seconds=0)
    scheduler.hint(integration, frozenset({"product"}))
    await scheduler.run_hinted()
    (hinted,) = await _jobs(sessions, integration, "webhook")
    assert (hinted.mode, hinted.status) == ("incremental", "succeeded")
    assert set(hinted.progress) == {"product"}
    assert hinted.counts == {"product": 1, "deleted": 0}  # the audit feed is read as always
    names = [e.payload["name"] for e in await account_events(PRODUCTS.name, sim.state.account_id)]
    assert "Только товары" in names


def test_a_notification_names_its_entity_types() -> None:
    def types(*events: object) -> frozenset[str] | None:
        return _types(list(events))

    assert types({"meta": {"type": "product"}}, {"meta": {"type": "demand"}}) == {"product", "demand"}
    # anything the connector cannot place means "every type": one wider sync rather than a missed change
    assert types({"meta": {"type": "product"}}, {"meta": {"type": "somethingnew"}}) is None
    assert types({"meta": {}}) is None
    assert types("junk") is None
    assert types() is None


async def _jobs(sessions: async_sessionmaker[AsyncSession], integration: str, trigger: str) -> list[SyncJob]:
    async with transaction(sessions) as session:
        query = select(SyncJob).where(
            SyncJob.integration_id == integration, SyncJob.trigger == trigger, SyncJob.finished_at.is_not(None)
        )
        return list((await session.scalars(query)).all())

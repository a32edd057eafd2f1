"""A 429 storm, a sync killed mid-way, bad objects and bad credentials all end well (real HTTP, Kafka, Postgres)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import httpx
import pytest
from connector_testkit import account_events, connector_settings, latest_state, register, sim_settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import ALERTS, PRODUCTS, SYNC, VARIANTS
from crm_integration.sinks import KafkaSink
from moysklad_connector.mapping.catalog import map_product
from moysklad_connector.mapping.lookups import Lookups
from moysklad_connector.sync.service import SyncService
from moysklad_connector.tables import DeadLetterRecord, SyncJob
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

PRODUCT_TYPES = ("product", "service", "bundle")


def expected_products(sim: RunningSimulator) -> dict[str, dict[str, object]]:
    """The oracle: each simulator product mapped straight from its stored JSON, no paging involved."""
    lookups = Lookups()
    lookups.add_currencies([sim.state.render("currency", r["id"]) for r in sim.state.records("currency")])
    lookups.add_uoms([sim.state.render("uom", r["id"]) for r in sim.state.records("uom")])
    return {
        r["id"]: map_product(sim.state.render(t, r["id"], expand="components"), lookups).payload
        for t in PRODUCT_TYPES
        for r in sim.state.records(t)
    }


async def final_products(sim: RunningSimulator) -> dict[str, dict[str, object]]:
    final = latest_state(await account_events(PRODUCTS.name, sim.state.account_id))
    return {k: e.payload for k, e in final.items() if e.event_type == "product.upserted"}


@pytest.fixture
def stormy_sim() -> Iterator[RunningSimulator]:
    # Rate limits on, with a short window so that waiting out the announced Retry-After keeps the test quick.
    with serve_in_thread(
        sim_settings(90_001, rate_limits_enabled=True, rate_limit_units=45, rate_limit_window_ms=300)
    ) as running:
        httpx.put(f"{running.base_url}/__sim/faults", json={"storm_429_probability": 0.35}).raise_for_status()
        yield running


async def test_a_429_storm_ends_in_the_same_state_as_a_quiet_sync(
    stormy_sim: RunningSimulator, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, sink: KafkaSink
) -> None:
    settings = connector_settings(max_retries=12, page_size=10)
    integration = await register(sessions, settings, stormy_sim)
    job = await SyncService(settings, engine, sessions, sink).run(integration, "full", "manual")
    assert job.status == "succeeded", job.detail
    assert await final_products(stormy_sim) == expected_products(stormy_sim)


class CountingSink:
    """Passes batches on to Kafka and signals after ``after`` of them, so a test can kill the sync right there."""

    def __init__(self, inner: KafkaSink, after: int) -> None:
        self.inner, self.after, self.batches = inner, after, 0
        self.reached = asyncio.Event()

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        await self.inner.publish(events)
        self.batches += 1
        if self.batches >= self.after:
            self.reached.set()
            await asyncio.sleep(3600)  # the kill lands while the next page would be fetched


async def test_a_sync_killed_mid_way_resumes_to_the_same_state(
    sim: RunningSimulator, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, sink: KafkaSink
) -> None:
    settings = connector_settings(page_size=4)
    integration = await register(sessions, settings, sim)
    counting = CountingSink(sink, after=3)
    killed = asyncio.create_task(SyncService(settings, engine, sessions, counting).run(integration, "full", "manual"))
    await asyncio.wait_for(counting.reached.wait(), 30)
    killed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await killed
    async with transaction(sessions) as session:
        first = await session.scalar(select(SyncJob).where(SyncJob.integration_id == integration))
    assert first is not None
    assert first.status == "interrupted"

    resumed = await SyncService(settings, engine, sessions, sink).run(integration, "resume", "manual")

    assert resumed.status == "succeeded", resumed.detail
    assert await final_products(sim) == expected_products(sim)
    variants = latest_state(await account_events(VARIANTS.name, sim.state.account_id))
    assert set(variants) == {r["id"] for r in sim.state.records("variant")}


async def test_an_unmappable_object_is_dead_lettered_and_the_sync_goes_on(
    sim: RunningSimulator, integration: str, service: SyncService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    broken = sim.state.records("product")[2]
    broken["salePrices"][0]["value"] = "not a number"

    job = await service.run(integration, "full", "manual")

    async with transaction(sessions) as session:
        letters = (await session.scalars(select(DeadLetterRecord).where(DeadLetterRecord.job_id == job.id))).all()
    assert job.status == "succeeded_with_skipped", job.detail
    assert sum(job.skipped["product"].values()) == 1
    assert [(d.entity_type, d.entity_id) for d in letters] == [("product", broken["id"])]
    assert "not a number" in str(letters[0].raw)
    assert letters[0].reason
    published = {e.entity_id for e in await account_events(PRODUCTS.name, sim.state.account_id)}
    assert published == {r["id"] for t in PRODUCT_TYPES for r in sim.state.records(t)} - {broken["id"]}


async def test_an_object_whose_event_kafka_would_refuse_is_skipped_with_its_size_and_the_sync_goes_on(
    sim: RunningSimulator,
    integration: str,
    service: SyncService,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An event over the size limit (in production: a document of some hundred thousand positions) is a skipped
    object the admin sees with the reason, not a failed sync. The limit is lowered to make a product that large."""
    monkeypatch.setattr(topics, "MAX_EVENT_BYTES", 20_000)
    huge = sim.state.records("product")[1]
    huge["description"] = "длинное описание " * 2_000

    job = await service.run(integration, "full", "manual")

    async with transaction(sessions) as session:
        letters = (await session.scalars(select(DeadLetterRecord).where(DeadLetterRecord.job_id == job.id))).all()
    assert job.status == "succeeded_with_skipped", job.detail
    assert [(d.entity_type, d.entity_id) for d in letters] == [("product", huge["id"])]
    assert "EventTooLarge" in letters[0].reason, letters[0].reason
    assert "at most 20,000" in letters[0].reason
    published = {e.entity_id for e in await account_events(PRODUCTS.name, sim.state.account_id)}
    assert published == {r["id"] for t in PRODUCT_TYPES for r in sim.state.records(t)} - {huge["id"]}


async def test_wrong_credentials_fail_the_job_with_the_reason_and_raise_an_alert(
    sim: RunningSimulator, sessions: async_sessionmaker[AsyncSession], service: SyncService
) -> None:
    integration = await register(sessions, service.settings, sim, password="wrong")

    job = await service.run(integration, "full", "manual")

    assert job.status == "failed"
    assert "credentials" in (job.detail or "")
    outcome = [e for e in await account_events(SYNC.name, integration) if e.payload["job_id"] == str(job.id)]
    alerts = [e for e in await account_events(ALERTS.name, integration) if e.payload["data"]["job_id"] == str(job.id)]
    assert [e.event_type for e in outcome] == ["sync.failed"]
    assert alerts[0].payload["kind"] == "sync_failed"
    assert alerts[0].payload["permission"] == "admin:integrations"

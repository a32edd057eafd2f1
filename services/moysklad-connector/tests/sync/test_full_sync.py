"""A full sync over real HTTP (the simulator), real Kafka and real Postgres."""

from __future__ import annotations

from collections import Counter

from connector_testkit import account_events

from crm_common.events.topics import FOLDERS, PRODUCTS, SYNC, VARIANTS
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator


def ids(sim: RunningSimulator, *types: str) -> set[str]:
    return {r["id"] for t in types for r in sim.state.records(t)}


async def test_full_sync_publishes_exactly_the_simulators_products(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    job = await service.run(integration, "full", "manual")
    assert job.status == "succeeded", job.detail
    events = await account_events(PRODUCTS.name, sim.state.account_id)
    published = Counter(e.entity_id for e in events if e.event_type == "product.upserted")
    assert set(published) == ids(sim, "product", "service", "bundle")
    assert set(published.values()) == {1}  # each exactly once


async def test_full_sync_publishes_every_folder_and_variant(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    job = await service.run(integration, "full", "manual")
    assert job.status == "succeeded", job.detail
    folders = await account_events(FOLDERS.name, sim.state.account_id)
    variants = await account_events(VARIANTS.name, sim.state.account_id)
    assert {e.entity_id for e in folders} == ids(sim, "productfolder")
    assert {e.entity_id for e in variants} == ids(sim, "variant")
    assert job.counts["variant"] == len(ids(sim, "variant"))


async def test_archived_products_are_published_with_the_flag(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    events = await account_events(PRODUCTS.name, sim.state.account_id)
    archived = {e.entity_id for e in events if e.payload["archived"]}
    assert archived == {
        r["id"] for t in ("product", "service", "bundle") for r in sim.state.records(t) if r["archived"]
    }


async def test_a_completed_sync_is_announced_on_the_sync_topic(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    job = await service.run(integration, "full", "manual")
    events = await account_events(SYNC.name, sim.state.account_id)
    assert [(e.event_type, e.payload["job_id"]) for e in events] == [("sync.completed", str(job.id))]
    assert events[0].payload["counts"]["product"] == len(ids(sim, "product"))

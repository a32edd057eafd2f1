"""Incremental syncs and deletions, over real HTTP, Kafka and Postgres."""

from __future__ import annotations

from connector_testkit import account_events, delete_product, latest_state, touch_product

from crm_common.events.topics import PRODUCTS
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator


async def test_incremental_sync_publishes_only_what_changed(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    before = await account_events(PRODUCTS.name, sim.state.account_id)
    changed = sim.state.records("product")[3]["id"]
    touch_product(sim, changed, "Переименованный товар")

    job = await service.run(integration, "incremental", "manual")

    seen = {e.event_id for e in before}
    new = [e for e in await account_events(PRODUCTS.name, sim.state.account_id) if e.event_id not in seen]
    assert job.status == "succeeded", job.detail
    assert [(e.entity_id, e.payload["name"]) for e in new] == [(changed, "Переименованный товар")]
    assert job.counts.get("product") == 1


async def test_incremental_sync_with_no_changes_publishes_nothing(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    before = await account_events(PRODUCTS.name, sim.state.account_id)
    job = await service.run(integration, "incremental", "manual")
    after = await account_events(PRODUCTS.name, sim.state.account_id)
    assert job.status == "succeeded", job.detail
    assert len(after) == len(before)
    assert sum(job.counts.values()) == 0


async def test_a_hard_delete_reaches_the_events(sim: RunningSimulator, integration: str, service: SyncService) -> None:
    await service.run(integration, "full", "manual")
    victim = sim.state.records("product")[5]["id"]
    delete_product(sim, victim)

    job = await service.run(integration, "incremental", "manual")

    final = latest_state(await account_events(PRODUCTS.name, sim.state.account_id))
    assert job.status == "succeeded", job.detail
    assert final[victim].event_type == "product.deleted"
    assert final[victim].payload["id"] == victim
    live = {k for k, e in final.items() if e.event_type == "product.upserted"}
    assert live == {r["id"] for t in ("product", "service", "bundle") for r in sim.state.records(t)}


async def test_a_delete_right_after_an_update_still_wins(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    victim = sim.state.records("product")[6]["id"]
    touch_product(sim, victim, "Последнее имя")
    await service.run(integration, "incremental", "manual")
    delete_product(sim, victim)
    await service.run(integration, "incremental", "manual")
    final = latest_state(await account_events(PRODUCTS.name, sim.state.account_id))
    assert final[victim].event_type == "product.deleted"

"""Incremental syncs and deletions, over real HTTP, Kafka and Postgres."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from connector_testkit import account_events, connector_settings, delete_product, latest_state, touch_product
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_common.events.topics import PRODUCTS
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator
from moysklad_simulator.timefmt import fmt_ms, parse_msk


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


@pytest.mark.parametrize(("overlap", "seen"), [(timedelta(seconds=30), True), (timedelta(0), False)])
async def test_the_cursor_overlap_catches_an_update_stamped_behind_the_cursor(
    sim: RunningSimulator,
    integration: str,
    engine: AsyncEngine,
    sessions: Any,
    sink: Any,
    overlap: timedelta,
    seen: bool,
) -> None:
    service = SyncService(connector_settings(cursor_overlap=overlap), engine, sessions, sink)
    await service.run(integration, "full", "manual")
    newest = max(r["updated"] for r in sim.state.records("product"))
    late = sim.state.records("product")[3]
    late["name"] = "Записано с опозданием"
    stamped = parse_msk(newest)
    assert stamped is not None
    late["updated"] = fmt_ms(stamped - timedelta(seconds=1))  # committed late at MoySklad

    await service.run(integration, "incremental", "manual")

    names = {e.payload["name"] for e in await account_events(PRODUCTS.name, sim.state.account_id)}
    assert ("Записано с опозданием" in names) is seen

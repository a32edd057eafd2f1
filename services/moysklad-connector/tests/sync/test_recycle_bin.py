"""Documents moved to the recycle bin and restored, seen through the audit feed even when `updated` does not change."""

from __future__ import annotations

from decimal import Decimal

from connector_testkit import account_events, latest_state

from crm_common.events.topics import SALES
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.audit import record_event
from moysklad_simulator.testing import RunningSimulator


def _recycle(sim: RunningSimulator, doc: dict[str, object], trashed: bool) -> None:
    """Move a document to the recycle bin or back, as MoySklad does: the audit records it, `updated` stays."""
    doc["_trashed"] = trashed
    event = "puttorecyclebin" if trashed else "restorefromrecyclebin"
    record_event(sim.state, event, doc["_ref"], str(doc["name"]))  # type: ignore[arg-type]


async def test_a_document_put_in_the_recycle_bin_is_deleted_and_counts_again_once_restored(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    doc = sim.state.records("retaildemand")[0]

    _recycle(sim, doc, trashed=True)
    await service.run(integration, "incremental", "manual")
    after_trash = latest_state(await account_events(SALES.name, sim.state.account_id))

    _recycle(sim, doc, trashed=False)
    job = await service.run(integration, "incremental", "manual")
    after_restore = latest_state(await account_events(SALES.name, sim.state.account_id))

    assert after_trash[doc["id"]].event_type == "retail_sale.deleted"
    assert job.status == "succeeded", job.detail
    restored = after_restore[doc["id"]]
    assert restored.event_type == "retail_sale.upserted"
    assert restored.source_version > after_trash[doc["id"]].source_version
    assert len(restored.payload["positions"]) == len(doc["_positions"])  # type: ignore[arg-type]
    # re-read like the list reads it: with each position's cost at the document moment (`fields=stock`)
    costs = {p.id: Decimal(repr(p.cost)) / 100 for p in doc["_positions"]}  # type: ignore[attr-defined]
    assert {p["id"]: Decimal(p["cost"]) for p in restored.payload["positions"]} == costs  # type: ignore[index]

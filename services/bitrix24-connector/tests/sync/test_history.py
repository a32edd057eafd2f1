"""Stage history and responsible people: a move after the full sync reaches the deal with its whole history, a
history row alone re-publishes its deal, a person hired since is named, and a history the connector cannot read
keeps its deal as a skipped record with the reason."""

from __future__ import annotations

import random

from b24_testkit import latest_state, portal_events, rest, sim_stats

from bitrix24_connector.sync.service import SyncService
from bitrix24_simulator.crm import stagehistory
from bitrix24_simulator.data.funnel import semantic_of, stages_of
from bitrix24_simulator.data.users import hire
from bitrix24_simulator.testing import RunningSimulator
from crm_common.events.topics import DEALS


def _moves(sim: RunningSimulator, deal_id: str) -> list[str]:
    return [r["STAGE_ID"] for r in sim.portal.records("stagehistory") if str(r["OWNER_ID"]) == deal_id]


def _new_deal(sim: RunningSimulator) -> str:
    """A deal of the general funnel at its first stage."""
    return str(rest(sim, "crm.deal.add", fields={"TITLE": "Поставка", "OPPORTUNITY": "900", "CATEGORY_ID": 0}))


async def test_a_lost_deal_reaches_downstream_with_the_stages_it_went_through(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    deal_id = _new_deal(sim)
    await service.run(integration, "full", "test")
    for stage in ("PREPARATION", "PREPAYMENT_INVOICE", "LOSE"):
        rest(sim, "crm.deal.update", id=deal_id, fields={"STAGE_ID": stage})

    job = await service.run(integration, "incremental", "test")

    assert job.status == "succeeded", job.detail
    event = latest_state(await portal_events(DEALS.name, sim))[deal_id]
    history = [change["stage_id"] for change in event.payload["stage_history"]]
    assert history == ["NEW", "PREPARATION", "PREPAYMENT_INVOICE", "LOSE"] == _moves(sim, deal_id)
    assert event.payload["stage_semantics"] == "lost"


async def test_a_history_row_alone_republishes_its_deal(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    deal = next(d for d in sim.portal.records("deal") if d["STAGE_SEMANTIC_ID"] == "P")  # modified long ago
    stages = [s["STATUS_ID"] for s in stages_of(sim.portal, int(deal["CATEGORY_ID"]))]
    following = stages[stages.index(deal["STAGE_ID"]) + 1]
    before, modified = dict(deal), deal["DATE_MODIFY"]
    # The move is in the history, but the deal's DATE_MODIFY is where the deal feed's cursor already passed it.
    deal.update(STAGE_ID=following, STAGE_SEMANTIC_ID=semantic_of(sim.portal, int(deal["CATEGORY_ID"]), following))
    stagehistory.on_deal_change(sim.portal, before, deal)
    assert deal["DATE_MODIFY"] == modified

    job = await service.run(integration, "incremental", "test")

    assert job.counts.get("deal") == 1
    event = latest_state(await portal_events(DEALS.name, sim))[deal["ID"]]
    assert [c["stage_id"] for c in event.payload["stage_history"]] == _moves(sim, deal["ID"])
    assert event.payload["stage_history"][-1]["stage_id"] == event.payload["stage_id"] == following


async def test_a_person_hired_after_the_full_sync_is_named_on_their_deals(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    newcomer = hire(sim.portal, random.Random(1), name=("Пётр", "Новиков"))
    deal = sim.portal.records("deal")[0]
    rest(sim, "crm.deal.update", id=deal["ID"], fields={"ASSIGNED_BY_ID": newcomer["ID"]})
    asked_before = sim_stats(sim)["by_method"].get("user.get", {}).get("200", 0)

    await service.run(integration, "incremental", "test")

    event = latest_state(await portal_events(DEALS.name, sim))[deal["ID"]]
    assert (event.payload["responsible_id"], event.payload["responsible_name"]) == (newcomer["ID"], "Пётр Новиков")
    assert sim_stats(sim)["by_method"]["user.get"]["200"] == asked_before + 1


async def test_a_history_the_connector_cannot_read_keeps_the_deal_as_skipped_with_the_reason(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    deal = sim.portal.records("deal")[0]
    row = next(r for r in sim.portal.records("stagehistory") if str(r["OWNER_ID"]) == deal["ID"])
    row["CREATED_TIME"] = "2025-12-01T10:00:00"  # no offset: the moment cannot be known

    job = await service.run(integration, "full", "test")

    assert job.status == "succeeded_with_skipped", job.detail
    assert job.counts["deal"] == len(sim.portal.records("deal")) - 1
    assert job.skipped == {"deal": {"Unmappable: CREATED_TIME '2025-12-01T10:00:00' has no offset": 1}}


async def test_long_histories_are_read_whole_by_the_walk_and_by_increments(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    portal = sim.portal
    rest(sim, "crm.deal.delete", id=portal.records("deal")[5]["ID"])  # a gap in the history's ids
    for deal in portal.records("deal")[:30]:
        for _ in range(90):  # past 2,500 moves in all (more than one batch of windows), over 50 for one deal
            stagehistory.record(portal, deal, stagehistory.MOVED, deal["DATE_MODIFY"])
    assert len(portal.records("stagehistory")) > 2_500

    await service.run(integration, "full", "test")
    walked = sim_stats(sim)["by_method"]
    deal = portal.records("deal")[0]
    rest(sim, "crm.deal.update", id=deal["ID"], fields={"TITLE": "Повторный заказ"})
    await service.run(integration, "incremental", "test")

    state = latest_state(await portal_events(DEALS.name, sim))
    assert walked["crm.stagehistory.list"] == {"200": 1}  # the newest id; the rest came in batches of windows
    assert {
        d["ID"]: [c["stage_id"] for c in state[d["ID"]].payload["stage_history"]] for d in portal.records("deal")
    } == {d["ID"]: _moves(sim, d["ID"]) for d in portal.records("deal")}
    assert state[deal["ID"]].payload["title"] == "Повторный заказ"
    assert len(state[deal["ID"]].payload["stage_history"]) > 90

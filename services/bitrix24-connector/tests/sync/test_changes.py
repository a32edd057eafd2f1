"""After a full sync: an increment picks up what changed in the portal (stage moves with the deal's whole history),
deletions reach downstream, and a storm of 503s ends in the same state as a calm sync."""

from __future__ import annotations

from b24_testkit import latest_state, portal, portal_events, register, rest, set_faults, sim_stats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.service import SyncService
from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.testing import RunningSimulator
from crm_common.events.topics import COUNTERPARTIES, DEALS


async def test_an_increment_publishes_what_changed_since_the_full_sync(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    rest(sim, "crm.contact.update", id=2, fields={"NAME": "Изменённый", "EMAIL": [{"VALUE": "new@example.ru"}]})
    new_id = rest(
        sim, "crm.contact.add", fields={"NAME": "Новый", "LAST_NAME": "Клиент", "PHONE": [{"VALUE": "+79001112233"}]}
    )
    deal = sim.portal.records("deal")[0]
    rest(sim, "crm.deal.update", id=deal["ID"], fields={"OPPORTUNITY": "12345.67", "IS_MANUAL_OPPORTUNITY": "Y"})

    job = await service.run(integration, "incremental", "test")

    assert job.status == "succeeded", job.detail
    assert job.counts["contact"] == 2  # the edited and the added one (the overlap re-reads nothing older)
    assert job.counts["deal"] == 1
    state = latest_state(await portal_events(COUNTERPARTIES.name, sim))
    assert "Изменённый" in state["contact-2"].payload["name"].split()
    assert "new@example.ru" in state["contact-2"].payload["emails"]
    assert state[f"contact-{new_id}"].payload["phones"] == ["+79001112233"]
    deals = latest_state(await portal_events(DEALS.name, sim))
    assert deals[str(deal["ID"])].payload["amount"]["amount"] == "12345.67"


async def test_live_changes_end_in_the_portals_state(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    live = LivePortal(sim.portal)
    for _ in range(25):
        live.step()
    await service.run(integration, "incremental", "test")
    await service.run(integration, "reconcile", "test")
    parties = {
        k: e
        for k, e in latest_state(await portal_events(COUNTERPARTIES.name, sim)).items()
        if e.event_type == "counterparty.upserted"
    }
    deals = {
        k: e for k, e in latest_state(await portal_events(DEALS.name, sim)).items() if e.event_type == "deal.upserted"
    }
    p = sim.portal
    assert set(parties) == {f"contact-{c['ID']}" for c in p.records("contact")} | {
        f"company-{c['ID']}" for c in p.records("company")
    }
    for c in p.records("contact"):
        assert parties[f"contact-{c['ID']}"].payload["phones"] == [v["VALUE"] for v in c.get("PHONE") or []]
    assert {d["ID"]: d["STAGE_ID"] for d in p.records("deal")} == {k: e.payload["stage_id"] for k, e in deals.items()}
    # Each deal with every stage the portal recorded for it, and its responsible person's name.
    moves: dict[str, list[str]] = {}
    for item in p.records("stagehistory"):
        moves.setdefault(str(item["OWNER_ID"]), []).append(item["STAGE_ID"])
    assert {k: [c["stage_id"] for c in e.payload["stage_history"]] for k, e in deals.items()} == moves
    people = {u["ID"]: f"{u['NAME']} {u['LAST_NAME']}" for u in p.records("user")}
    assert {k: e.payload["responsible_name"] for k, e in deals.items()} == {
        d["ID"]: people[d["ASSIGNED_BY_ID"]] for d in p.records("deal")
    }


async def test_a_deleted_contact_and_deal_are_deleted_downstream_by_the_hinted_sync(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    gone = rest(sim, "crm.contact.add", fields={"NAME": "Временный"})
    await service.run(integration, "incremental", "test")
    rest(sim, "crm.contact.delete", id=gone)
    deal_id = sim.portal.records("deal")[-1]["ID"]
    rest(sim, "crm.deal.delete", id=deal_id)

    job = await service.run(integration, "incremental", "webhook", types={"contact.deleted", "deal.deleted"})

    assert job.status == "succeeded", job.detail
    parties = latest_state(await portal_events(COUNTERPARTIES.name, sim))
    deals = latest_state(await portal_events(DEALS.name, sim))
    assert parties[f"contact-{gone}"].event_type == "counterparty.deleted"
    assert deals[str(deal_id)].event_type == "deal.deleted"
    deleted = [e for e in parties.values() if e.event_type.endswith(".deleted")]
    assert len(deleted) == 1  # nothing else


async def test_reconcile_deletes_what_the_portal_no_longer_has_and_nothing_else(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    company = sim.portal.records("company")[0]["ID"]
    sim.portal.remove("company", int(company))  # a delete whose event was lost
    job = await service.run(integration, "reconcile", "test")
    again = await service.run(integration, "reconcile", "test")
    assert job.counts["deleted"] == 1
    assert job.counts["deleted.counterparty"] == 1
    assert again.counts["deleted"] == 0  # the ledger remembers
    events = [e for e in await portal_events(COUNTERPARTIES.name, sim) if e.event_type == "counterparty.deleted"]
    assert [e.entity_id for e in events] == [f"company-{company}"]


async def test_a_storm_of_503s_ends_in_the_same_state_as_a_calm_sync(
    service: SyncService, sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings
) -> None:
    with portal(seed=11) as calm, portal(seed=11) as stormy:
        await service.run(await register(sessions, settings, calm), "full", "test")
        set_faults(stormy, storm_503_probability=0.35)
        job = await service.run(await register(sessions, settings, stormy), "full", "test")
        stats = sim_stats(stormy)
        expected = latest_state(await portal_events(DEALS.name, calm))
        expected_parties = latest_state(await portal_events(COUNTERPARTIES.name, calm))
        got = latest_state(await portal_events(DEALS.name, stormy))
        got_parties = latest_state(await portal_events(COUNTERPARTIES.name, stormy))
    assert job.status == "succeeded", job.detail
    assert sum(c.get("503", 0) for c in stats["by_method"].values()) > 0  # the storm happened
    assert {k: e.payload for k, e in got.items()} == {k: e.payload for k, e in expected.items()}
    assert {k: e.payload for k, e in got_parties.items()} == {k: e.payload for k, e in expected_parties.items()}


async def test_an_inn_changed_in_the_requisite_alone_reaches_the_company(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    requisite = next(r for r in sim.portal.records("requisite") if r["ENTITY_TYPE_ID"] == "4")
    company = sim.portal.get("company", requisite["ENTITY_ID"])
    assert company is not None
    modified = company["DATE_MODIFY"]
    rest(sim, "crm.requisite.update", id=requisite["ID"], fields={"RQ_INN": "7707083893"})
    assert company["DATE_MODIFY"] == modified  # Bitrix24 leaves the company as it was

    job = await service.run(integration, "incremental", "test")

    assert job.counts.get("company") == 1
    state = latest_state(await portal_events(COUNTERPARTIES.name, sim))
    assert state[f"company-{company['ID']}"].payload["inn"] == "7707083893"

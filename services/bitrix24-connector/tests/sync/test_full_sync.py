"""A full sync of a portal over real HTTP into real Kafka: every record once, as the simulator holds it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from math import ceil

from b24_testkit import account, portal, portal_events, register, sim_stats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.client import PAGE
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.service import SyncService
from bitrix24_simulator.testing import RunningSimulator
from crm_common.events.topics import COUNTERPARTIES, DEALS, PIPELINES


async def test_full_sync_of_the_demo_portal_publishes_every_record_once(
    service: SyncService, sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings
) -> None:
    with portal(scale="demo", seed=42) as sim:
        integration = await register(sessions, settings, sim)
        job = await service.run(integration, "full", "test")
        stats = sim_stats(sim)
        parties = await portal_events(COUNTERPARTIES.name, sim)
        deals = await portal_events(DEALS.name, sim)
        pipelines = await portal_events(PIPELINES.name, sim)
    p = sim.portal
    assert job.status == "succeeded", job.detail
    assert job.counts == {
        "pipeline": 3,
        "contact": len(p.records("contact")),
        "company": len(p.records("company")),
        "deal": len(p.records("deal")),
        "section": len(p.records("productsection")),
        "product": len(p.records("product")),
    }
    assert Counter(e.event_type for e in parties) == {"counterparty.upserted": 172}
    assert {e.entity_id for e in parties} == {f"contact-{c['ID']}" for c in p.records("contact")} | {
        f"company-{c['ID']}" for c in p.records("company")
    }
    assert len(deals) == len(p.records("deal")) == 600
    assert len(pipelines) == 3
    # The portal's own figures: money summed exactly, product rows per deal, INNs from requisites.
    assert sum(Decimal(e.payload["amount"]["amount"]) for e in deals) == sum(
        Decimal(d["OPPORTUNITY"]) for d in p.records("deal")
    )
    assert sum(len(e.payload["positions"]) for e in deals) == len(p.records("productrow"))
    inns = {f"company-{r['ENTITY_ID']}": r["RQ_INN"] for r in p.records("requisite") if r["ENTITY_TYPE_ID"] == "4"}
    assert {e.entity_id: e.payload["inn"] for e in parties if e.entity_id.startswith("company-")} == inns
    # Every deal with every stage it entered (a lost deal with the open stages before), and its responsible's name.
    moves: dict[str, list[str]] = {}
    for item in p.records("stagehistory"):
        moves.setdefault(str(item["OWNER_ID"]), []).append(item["STAGE_ID"])
    assert {e.entity_id: [c["stage_id"] for c in e.payload["stage_history"]] for e in deals} == moves
    lost = [e for e in deals if e.payload["stage_semantics"] == "lost"]
    assert lost
    assert all(len(e.payload["stage_history"]) >= 2 for e in lost)
    people = {u["ID"]: f"{u['NAME']} {u['LAST_NAME']}" for u in p.records("user")}
    assert {e.entity_id: e.payload["responsible_name"] for e in deals} == {
        d["ID"]: people[d["ASSIGNED_BY_ID"]] for d in p.records("deal")
    }
    # Every request stayed under the leaky bucket: none refused, far fewer than one per record.
    refused = sum(counts.get("503", 0) for counts in stats["by_method"].values())
    assert refused == 0
    # Each list walked by the fast path: its full pages, then a short (maybe empty) last one. A page of companies or
    # deals takes one batch (requisites, product rows), the funnels' stages one; the whole history is read before the
    # walk: its newest id, then 2,500 ids per batch, none page by page; the five sales people are asked about once;
    # the VAT rates once.
    walked = {table: len(p.records(table)) // PAGE + 1 for table in ("contact", "company", "deal", "product")}
    newest_move = max(int(item["ID"]) for item in p.records("stagehistory"))
    batches = ceil(len(p.records("company")) / PAGE) + ceil(len(p.records("deal")) / PAGE) + 1
    assert {method: counts["200"] for method, counts in stats["by_method"].items()} == {
        **{f"crm.{table}.list": pages for table, pages in walked.items()},
        "crm.productsection.list": len(p.records("productsection")) // PAGE + 1,
        "crm.category.list": 1,
        "crm.stagehistory.list": 1,
        "user.get": 1,
        "crm.vat.list": 1,
        "batch": batches + ceil(newest_move / (PAGE * PAGE)),
    }
    assert stats["requests"] == 44  # 24 list pages, 16 batches, funnels, newest move, names, VAT rates
    assert all(e.source == "bitrix24" and e.account_id == account(sim) for e in parties + deals + pipelines)


async def test_a_second_full_sync_republishes_the_same_event_ids(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    first = await service.run(integration, "full", "test")
    second = await service.run(integration, "full", "test")
    deals = await portal_events(DEALS.name, sim)
    assert first.status == second.status == "succeeded"
    ids = Counter(e.event_id for e in deals)
    assert len(ids) == len(sim.portal.records("deal"))
    assert set(ids.values()) == {2}

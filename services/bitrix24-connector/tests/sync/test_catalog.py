"""The product catalog over the simulator into real Kafka: sections as folders, products as products, deal rows
naming the same products; increments by TIMESTAMP_X; deletes by hint and by reconciliation."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

from b24_testkit import latest_state, portal_events, rest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.sync.service import SyncService, deleted_kinds
from bitrix24_connector.tables import TABLES
from bitrix24_connector.webhooks.api import hint_types
from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.testing import RunningSimulator
from crm_common.db import transaction
from crm_common.events.topics import DEALS, FOLDERS, PRODUCTS

RATES = {"1": None, "2": Decimal(0), "3": Decimal(10), "4": Decimal(20)}


async def test_a_full_sync_publishes_every_section_and_product_as_the_portal_holds_them(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    job = await service.run(integration, "full", "test")
    products = await portal_events(PRODUCTS.name, sim)
    folders = await portal_events(FOLDERS.name, sim)
    deals = await portal_events(DEALS.name, sim)
    p = sim.portal
    assert job.status == "succeeded", job.detail
    assert (job.counts["product"], job.counts["section"]) == (
        len(p.records("product")),
        len(p.records("productsection")),
    )
    assert Counter(e.event_type for e in products) == {"product.upserted": len(p.records("product"))}
    by_id = {e.entity_id: e.payload for e in products}
    for record in p.records("product"):
        got = by_id[f"product-{record['ID']}"]
        assert got["sale_prices"][0]["amount"] == record["PRICE"]
        assert got["sale_prices"][0]["currency"] == record["CURRENCY_ID"]
        assert got["archived"] is (record["ACTIVE"] == "N")
        assert got["folder_id"] == f"section-{record['SECTION_ID']}"
        rate = RATES[record["VAT_ID"]]
        assert (None if got["vat_percent"] is None else Decimal(got["vat_percent"])) == rate
    sections = {e.entity_id: e.payload for e in folders}
    assert set(sections) == {f"section-{s['ID']}" for s in p.records("productsection")}
    assert all(f["parent_id"] is None or f["parent_id"] in sections for f in sections.values())
    # Deal rows name the products just published, at the price the deal was made at.
    named = {pos["product_id"] for e in deals for pos in e.payload["positions"]}
    assert named
    assert named <= set(by_id)
    catalog = {k: Decimal(v["sale_prices"][0]["amount"]) for k, v in by_id.items()}
    positions = [pos for e in deals for pos in e.payload["positions"]]
    assert any(Decimal(pos["price"]) != catalog[pos["product_id"]] for pos in positions)


async def test_an_increment_reads_products_by_timestamp_x_and_sections_when_they_change(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    quiet = await service.run(integration, "incremental", "test")
    section = rest(sim, "crm.productsection.add", fields={"NAME": "Новинки", "SECTION_ID": 1})
    rest(sim, "crm.product.update", id=3, fields={"PRICE": "777.70", "ACTIVE": "N"})
    added = rest(sim, "crm.product.add", fields={"NAME": "Чай", "PRICE": 120, "SECTION_ID": section, "VAT_ID": 3})

    job = await service.run(integration, "incremental", "test")

    assert (quiet.counts.get("product", 0), quiet.counts.get("section", 0)) == (0, 0)  # nothing changed, nothing sent
    assert job.status == "succeeded", job.detail
    assert job.counts["product"] == 2
    assert job.counts["section"] == len(sim.portal.records("productsection"))  # read whole, published on a change
    state = latest_state(await portal_events(PRODUCTS.name, sim))
    assert state["product-3"].payload["sale_prices"][0]["amount"] == "777.70"
    assert state["product-3"].payload["archived"] is True
    assert state[f"product-{added}"].payload["folder_id"] == f"section-{section}"
    folders = latest_state(await portal_events(FOLDERS.name, sim))
    assert folders[f"section-{section}"].payload["path"] == sim.portal.get("productsection", 1)["NAME"]  # type: ignore[index]


async def test_deleted_products_and_sections_are_deleted_downstream_by_the_hinted_sync(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    section = rest(sim, "crm.productsection.add", fields={"NAME": "Временный"})
    product = rest(sim, "crm.product.add", fields={"NAME": "Временный товар", "PRICE": 10})
    await service.run(integration, "full", "test")
    rest(sim, "crm.product.delete", id=product)
    rest(sim, "crm.productsection.delete", id=section)
    hinted = set(hint_types("ONCRMPRODUCTDELETE") or ()) | set(hint_types("ONCRMPRODUCTSECTIONDELETE") or ())

    job = await service.run(integration, "incremental", "webhook", types=hinted)

    assert hinted == {"product.deleted", "section.deleted"}
    assert job.status == "succeeded", job.detail
    products = latest_state(await portal_events(PRODUCTS.name, sim))
    folders = latest_state(await portal_events(FOLDERS.name, sim))
    assert [k for k, e in products.items() if e.event_type == "product.deleted"] == [f"product-{product}"]
    assert [k for k, e in folders.items() if e.event_type == "folder.deleted"] == [f"section-{section}"]


async def test_reconcile_deletes_a_product_whose_delete_event_was_lost(
    service: SyncService, sim: RunningSimulator, integration: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await service.run(integration, "full", "test")
    sim.portal.remove("product", 5)  # gone without an event
    job = await service.run(integration, "reconcile", "test")
    again = await service.run(integration, "reconcile", "test")
    assert job.counts["deleted.product"] == 1
    assert job.counts.get("deleted.folder", 0) == 0
    assert again.counts["deleted"] == 0
    deleted = [e.entity_id for e in await portal_events(PRODUCTS.name, sim) if e.event_type == "product.deleted"]
    assert deleted == ["product-5"]
    async with transaction(sessions) as session:
        live = await TABLES.ledger(session).live_ids(sim.base_url.split("://", 1)[1], "product")
    assert "product-5" not in live


async def test_a_product_that_cannot_be_mapped_is_skipped_with_its_reason(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    sim.portal.get("product", 2)["CURRENCY_ID"] = "рубли"  # type: ignore[index]
    job = await service.run(integration, "full", "test")
    products = {e.entity_id for e in await portal_events(PRODUCTS.name, sim)}
    assert job.status == "succeeded_with_skipped"
    assert job.skipped == {"product": {"Unmappable: CURRENCY_ID 'рубли' is not a currency code": 1}}
    assert "product-2" not in products
    assert len(products) == len(sim.portal.records("product")) - 1


async def test_a_broken_section_tree_is_skipped_whole_with_its_reason(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    sim.portal.get("productsection", 1)["SECTION_ID"] = "999"  # type: ignore[index]  # a parent the list lacks
    job = await service.run(integration, "full", "test")
    folders = await portal_events(FOLDERS.name, sim)
    sections = len(sim.portal.records("productsection"))
    assert job.status == "succeeded_with_skipped"
    assert job.skipped["section"] == {"Unmappable: section 1 is inside section 999, which is not listed": sections}
    assert folders == []  # no section published half-placed
    assert job.counts["product"] == len(sim.portal.records("product"))  # the products still go


async def test_live_catalog_changes_end_in_the_portals_catalog(
    service: SyncService, sim: RunningSimulator, integration: str
) -> None:
    await service.run(integration, "full", "test")
    live = LivePortal(sim.portal)
    ahead = [0.0]
    sim.portal.clock = lambda: time.time() + ahead[0]
    for _ in range(2):
        # Each round in a later second of the portal's clock: two states of one record within one second have no
        # order (mapping/common.py), and a compacting consumer might keep either.
        ahead[0] += 1.0
        for _ in range(150):
            live.step()
        await service.run(integration, "incremental", "test")
    await service.run(integration, "reconcile", "test")
    state = latest_state(await portal_events(PRODUCTS.name, sim))
    served = {
        k: (e.payload["sale_prices"][0]["amount"], e.payload["archived"])
        for k, e in state.items()
        if e.event_type == "product.upserted"
    }
    portal = {f"product-{p['ID']}": (p["PRICE"], p["ACTIVE"] == "N") for p in sim.portal.records("product")}
    assert served == portal  # nothing deleted at the portal is still served as live
    assert len(portal) > 30  # live mode added products (the tiny portal has 30)


def test_catalog_events_hint_their_types_and_deletes_reconcile_their_kinds() -> None:
    assert hint_types("ONCRMPRODUCTUPDATE") == {"product"}
    assert hint_types("ONCRMPRODUCTSECTIONADD") == {"section"}
    assert deleted_kinds({"product.deleted", "section.deleted"}) == ["product", "folder"]

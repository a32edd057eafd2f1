"""Documents over real HTTP (the simulator), real Kafka and real Postgres: positions, amounts, costs, deletions."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from connector_testkit import account_events, latest_state

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import PURCHASES, SALES
from moysklad_connector.mapping.documents import COST_AT_MOMENT, DOCUMENT_KINDS
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.documents.factory import new_position, refresh_sums
from moysklad_simulator.testing import RunningSimulator

SALES_TYPES = ("customerorder", "demand", "retaildemand", "salesreturn", "retailsalesreturn")
PURCHASE_TYPES = ("supply", "purchaseorder")


def kopecks(value: float) -> Decimal:
    """The simulator's kopecks as exact roubles (the JSON number's text, divided by 100)."""
    return Decimal(repr(value)) / 100


async def document_events(sim: RunningSimulator) -> list[EventEnvelope]:
    account = sim.state.account_id
    return [*await account_events(SALES.name, account), *await account_events(PURCHASES.name, account)]


def live_documents(sim: RunningSimulator) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        doc["id"]: (doc_type, doc)
        for doc_type in DOCUMENT_KINDS
        for doc in sim.state.records(doc_type)
        if not doc.get("_trashed")
    }


def check_document(sim: RunningSimulator, doc_type: str, doc: dict[str, Any], payload: dict[str, Any]) -> None:
    total = kopecks(doc["sum"])
    assert Decimal(payload["total"]) == total
    assert payload["applicable"] is doc["applicable"]
    assert payload["vat_included"] is doc["vatIncluded"]
    if doc["vatIncluded"]:
        assert sum(Decimal(p["amount"]) for p in payload["positions"]) == total, doc["id"]
    else:  # VAT on top of the lines: the total is larger by the document's vatSum
        lines = sum(Decimal(p["amount"]) for p in payload["positions"])
        assert abs(lines + kopecks(doc["vatSum"]) - total) <= Decimal("0.0001"), doc["id"]
    assert payload["kind"] == DOCUMENT_KINDS[doc_type].value
    assert payload["number"] == doc["name"]
    assert payload["counterparty_id"] == doc["agent"].id
    assert payload["store_id"] == doc["store"].id
    if doc_type in ("salesreturn", "retailsalesreturn") and "demand" in doc:
        assert payload["base_document_id"] == doc["demand"].id
    expected = {p.id: p for p in doc["_positions"]}
    published = Counter(p["id"] for p in payload["positions"])
    assert published == Counter(set(expected)), doc["id"]  # every position, each once
    for position in payload["positions"]:
        source = expected[position["id"]]
        assert Decimal(position["quantity"]) == Decimal(repr(source.quantity))
        assert Decimal(position["price"]) == kopecks(source.price)
        assert abs(Decimal(position["amount"]) - kopecks(source.total)) <= Decimal("0.0001")
        item = sim.state.find(source.assortment)
        assert item is not None
        parent = item["product"].id if source.assortment.type == "variant" else item["id"]
        assert (position["assortment_kind"], position["product_id"]) == (source.assortment.type, parent)
        if doc_type in COST_AT_MOMENT:
            cost = source.price if doc_type == "supply" else source.cost
            assert Decimal(position["cost"]) == kopecks(cost), position
        else:
            assert position["cost"] is None


async def test_every_document_and_position_is_published_once_with_exact_amounts(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    job = await service.run(integration, "full", "manual")

    assert job.status == "succeeded", job.detail
    published = await document_events(sim)
    events = [e for e in published if e.event_type.endswith(".upserted")]
    expected = live_documents(sim)
    assert Counter(e.entity_id for e in events) == Counter(set(expected))  # each exactly once
    # the recycle bin is read too: what is in it arrives as deletions (the demo shop has some)
    binned = {d["id"] for t in DOCUMENT_KINDS for d in sim.state.records(t) if d.get("_trashed")}
    assert binned
    assert {e.entity_id for e in published if e.event_type.endswith(".deleted")} == binned
    assert {e.event_type for e in events} == {f"{DOCUMENT_KINDS[t].value}.upserted" for t, _ in expected.values()}
    assert "retail_return.upserted" in {e.event_type for e in events}  # returns at the till are synced
    for event in events:
        doc_type, doc = expected[event.entity_id]
        assert event.event_type == f"{DOCUMENT_KINDS[doc_type].value}.upserted"
        check_document(sim, doc_type, doc, event.payload)
    sales = {
        e.entity_id
        for e in await account_events(SALES.name, sim.state.account_id)
        if e.event_type.endswith(".upserted")
    }
    assert sales == {i for i, (t, _) in expected.items() if t in SALES_TYPES}
    assert job.counts["retaildemand"] == len([d for d in sim.state.records("retaildemand") if not d.get("_trashed")])


def _grow(sim: RunningSimulator, doc: dict[str, Any], extra: int) -> None:
    template = doc["_positions"][0]
    for _ in range(extra):
        position = new_position(sim.state, template.assortment, 1.0, template.price, 0.0, template.vat)
        position.cost = template.cost
        doc["_positions"].append(position)
    refresh_sums(doc)
    doc["updated"] = sim.state.next_updated()


async def test_documents_with_more_positions_than_inlined_are_read_whole(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    """Two such documents on one page, with others between and after them: each is read whole (its positions
    beyond the first 1000 paged), mapped and published on its own, and every document of the page exactly once."""
    first, between, second, after = sim.state.records("demand")[:4]
    _grow(sim, first, 1005)  # the list inlines at most 1000 positions (docs/moysklad.md, "Collections")
    between["updated"] = sim.state.next_updated()
    _grow(sim, second, 1100)
    after["updated"] = sim.state.next_updated()

    job = await service.run(integration, "full", "manual")

    assert job.status == "succeeded", job.detail
    published = [e for e in await document_events(sim) if e.event_type == "shipment.upserted"]
    final = latest_state(published)
    for doc in (first, between, second, after):
        check_document(sim, "demand", doc, final[doc["id"]].payload)
    assert len(final[second["id"]].payload["positions"]) == len(second["_positions"]) > 1100
    live = {d["id"] for d in sim.state.records("demand") if not d.get("_trashed")}
    assert Counter(e.entity_id for e in published) == Counter(live)


async def test_a_trashed_document_becomes_a_delete_and_an_edit_an_update(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    trashed, edited = sim.state.records("retaildemand")[:2]
    trashed.update(_trashed=True, deleted=sim.state.next_updated()[:19], updated=sim.state.next_updated())
    edited["_positions"][0].quantity += 1
    refresh_sums(edited)
    edited["updated"] = sim.state.next_updated()

    job = await service.run(integration, "incremental", "manual")

    assert job.status == "succeeded", job.detail
    final = latest_state(await document_events(sim))
    assert final[trashed["id"]].event_type == "retail_sale.deleted"
    assert final[edited["id"]].event_type == "retail_sale.upserted"
    check_document(sim, "retaildemand", edited, final[edited["id"]].payload)
    assert job.counts.get("retaildemand") == 1
    assert job.counts.get("retaildemand.trash") == 1

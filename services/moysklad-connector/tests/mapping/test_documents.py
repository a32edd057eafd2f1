"""The document mapper against the JSON the simulator renders, plus the money rules on hand-made numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from connector_testkit import sim_settings

from crm_common.events import models as m
from moysklad_connector.mapping.common import Unmappable, parse_moment, version_of
from moysklad_connector.mapping.documents import line_amount, map_document, map_trashed_document, reconcile
from moysklad_connector.mapping.lookups import Lookups
from moysklad_simulator import generate
from moysklad_simulator.documents.views import document_view
from moysklad_simulator.render import parse_expand, render_record
from moysklad_simulator.store import SimulatorState


@pytest.fixture(scope="module")
def state() -> SimulatorState:
    return generate(sim_settings(7))


def rendered(state: SimulatorState, doc_type: str, doc: dict[str, Any]) -> dict[str, Any]:
    view = document_view(state, doc_type, doc, with_stock=True)
    return render_record(view, state, parse_expand("positions,state"))


def variant_lookups(state: SimulatorState) -> Lookups:
    lookups = Lookups()
    lookups.variant_products.update({v["id"]: v["product"].id for v in state.records("variant")})
    return lookups


def test_retail_sale_positions_typed_demandposition_map_with_cost(state: SimulatorState) -> None:
    doc = state.records("retaildemand")[0]
    obj = rendered(state, "retaildemand", doc)
    assert obj["positions"]["rows"][0]["meta"]["type"] == "demandposition"
    event = map_document(obj, variant_lookups(state))
    payload = m.Document.model_validate(event.payload)
    assert event.event_type == "retail_sale.upserted"
    assert payload.kind is m.DocumentKind.RETAIL_SALE
    assert payload.total == Decimal(repr(doc["sum"])) / 100
    assert payload.moment == parse_moment(doc["moment"])
    assert [p.cost for p in payload.positions] == [Decimal(repr(p.cost)) / 100 for p in doc["_positions"]]


def test_a_variant_position_names_its_parent_product(state: SimulatorState) -> None:
    doc, pos = next(
        (d, p) for d in state.records("retaildemand") for p in d["_positions"] if p.assortment.type == "variant"
    )
    payload = map_document(rendered(state, "retaildemand", doc), variant_lookups(state)).payload
    mapped = next(p for p in payload["positions"] if p["id"] == pos.id)
    assert mapped["product_id"] == state.get("variant", pos.assortment.id)["product"].id  # type: ignore[index]
    with pytest.raises(Unmappable, match="no known product"):
        map_document(rendered(state, "retaildemand", doc), Lookups())


def test_orders_carry_their_state_name_and_no_cost(state: SimulatorState) -> None:
    doc = state.records("customerorder")[0]
    payload = map_document(rendered(state, "customerorder", doc), variant_lookups(state)).payload
    assert payload["state"] == state.find(doc["state"])["name"]  # type: ignore[index]
    assert {p["cost"] for p in payload["positions"]} == {None}


def test_a_return_points_at_its_shipment(state: SimulatorState) -> None:
    # The tiny shop's returns are all at the till; give one a shipment as its base, as a return of a shipment has.
    doc = {**state.records("retailsalesreturn")[0], "demand": state.records("demand")[0]["_ref"]}
    payload = map_document(rendered(state, "salesreturn", doc), variant_lookups(state)).payload
    assert payload["base_document_id"] == doc["demand"].id


def test_a_retail_return_is_a_retail_return_of_its_retail_sale(state: SimulatorState) -> None:
    doc = state.records("retailsalesreturn")[0]
    payload = map_document(rendered(state, "retailsalesreturn", doc), variant_lookups(state)).payload
    assert payload["kind"] == "retail_return"
    assert payload["base_document_id"] == doc["demand"].id
    assert state.get("retaildemand", doc["demand"].id) is not None
    assert Decimal(payload["total"]) == Decimal(repr(doc["sum"])) / 100


def test_a_document_with_positions_missing_is_unmappable(state: SimulatorState) -> None:
    obj = rendered(state, "supply", state.records("supply")[0])
    obj["positions"]["rows"] = obj["positions"]["rows"][:-1]
    with pytest.raises(Unmappable, match="positions were read"):
        map_document(obj, variant_lookups(state))


def test_line_amount_is_exact_and_rounds_half_up_to_hundredths_of_a_kopeck() -> None:
    assert line_amount(Decimal("3.665"), Decimal("36495"), Decimal(0)) == Decimal("1337.5418")
    assert line_amount(Decimal("1.5"), Decimal("3353.0"), Decimal("5")) == Decimal("47.7803")  # 4778.025 kopecks


def test_amounts_are_reconciled_to_the_source_total_within_rounding_only() -> None:
    exact = [Decimal("1337.54175"), Decimal("10.00004")]
    rounded = [Decimal("1337.5418"), Decimal("10.0000")]
    assert reconcile(rounded, exact, Decimal("1347.5417")) == [Decimal("1337.5417"), Decimal("10.0000")]
    assert reconcile(rounded, exact, Decimal("1350")) == rounded  # not a rounding difference: left alone


def test_a_trashed_document_is_deleted_after_its_last_update(state: SimulatorState) -> None:
    obj = rendered(state, "demand", state.records("demand")[0])
    obj.update(updated="2026-01-10 12:00:00.500", deleted="2026-01-10 12:00:00")
    event = map_trashed_document(obj, Lookups())
    assert event.event_type == "shipment.deleted"
    assert event.source_version > version_of(parse_moment("2026-01-10 12:00:00.500"))
    assert event.payload["id"] == obj["id"]


def _first(state: SimulatorState, doc_type: str, rule: Any) -> dict[str, Any]:
    return next(d for d in state.records(doc_type) if rule(d))


def test_a_service_takes_its_cost_from_the_position_and_a_bundle_from_its_stock(state: SimulatorState) -> None:
    for kind in ("service", "bundle"):
        doc_type, doc = next(
            (t, d)
            for t in ("retaildemand", "demand")
            for d in state.records(t)
            if any(p.assortment.type == kind for p in d["_positions"])
        )
        pos = next(p for p in doc["_positions"] if p.assortment.type == kind)
        payload = map_document(rendered(state, doc_type, doc), variant_lookups(state)).payload
        mapped = next(p for p in payload["positions"] if p["id"] == pos.id)
        assert mapped["assortment_kind"] == kind
        assert Decimal(mapped["cost"]) == Decimal(repr(pos.cost)) / 100 > 0


def test_a_draft_maps_as_not_applicable(state: SimulatorState) -> None:
    doc = _first(state, "retaildemand", lambda d: not d["applicable"])
    assert map_document(rendered(state, "retaildemand", doc), variant_lookups(state)).payload["applicable"] is False


def test_prices_without_vat_keep_line_amounts_and_the_total_with_vat_on_top(state: SimulatorState) -> None:
    doc = _first(state, "demand", lambda d: not d["vatIncluded"])
    payload = m.Document.model_validate(map_document(rendered(state, "demand", doc), variant_lookups(state)).payload)
    assert payload.vat_included is False
    lines = [
        line_amount(Decimal(repr(p.quantity)), Decimal(repr(p.price)), Decimal(repr(p.discount)))
        for p in doc["_positions"]
    ]
    assert [p.amount for p in payload.positions] == lines  # not "reconciled" to a total that holds VAT too
    assert payload.total == Decimal(repr(doc["sum"])) / 100 > sum(lines)


def test_a_document_in_the_simulators_bin_maps_to_a_deletion_at_its_deleted_stamp(state: SimulatorState) -> None:
    doc = _first(state, "retaildemand", lambda d: d.get("_trashed"))
    event = map_trashed_document(rendered(state, "retaildemand", doc), Lookups())
    assert event.event_type == "retail_sale.deleted"
    assert event.source_version > version_of(parse_moment(doc["deleted"]))

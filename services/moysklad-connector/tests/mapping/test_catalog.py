"""Mappers against the JSON the simulator serves (its renderer is the same code its HTTP layer uses)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from connector_testkit import sim_settings

from crm_common.events import models as m
from crm_common.events.envelope import deterministic_event_id
from moysklad_connector.mapping.catalog import map_folder, map_product, map_variant
from moysklad_connector.mapping.common import Unmappable, parse_moment, version_of
from moysklad_connector.mapping.lookups import Lookups
from moysklad_simulator import generate
from moysklad_simulator.store import SimulatorState


@pytest.fixture(scope="module")
def state() -> SimulatorState:
    return generate(sim_settings(7))


def lookups_for(state: SimulatorState) -> Lookups:
    lookups = Lookups()
    lookups.add_currencies([state.render("currency", r["id"]) for r in state.records("currency")])
    lookups.add_uoms([state.render("uom", r["id"]) for r in state.records("uom")])
    return lookups


def test_product_maps_prices_to_roubles_and_references_to_ids(state: SimulatorState) -> None:
    record = state.records("product")[0]
    obj = state.render("product", record["id"])
    event = map_product(obj, lookups_for(state))
    payload = m.Product.model_validate(event.payload)
    assert payload.kind is m.ProductKind.PRODUCT
    assert payload.sale_prices[0].amount == Decimal(str(record["salePrices"][0]["value"])) / 100
    assert payload.sale_prices[0].currency == "RUB"
    assert payload.sale_prices[0].price_type == "Цена продажи"
    assert payload.folder_id == record["productFolder"].id
    assert payload.uom == state.get("uom", record["uom"].id)["name"]
    assert payload.barcodes == [record["barcodes"][0]["ean13"]]


def test_envelope_carries_moysklad_id_account_and_version(state: SimulatorState) -> None:
    obj = state.render("product", state.records("product")[0]["id"])
    event = map_product(obj, lookups_for(state))
    version = version_of(parse_moment(obj["updated"]))
    assert (event.entity_id, event.account_id, event.source, event.source_version) == (
        obj["id"],
        state.account_id,
        "moysklad",
        version,
    )
    assert event.event_id == deterministic_event_id(
        "moysklad", state.account_id, "product.upserted", obj["id"], version
    )
    assert "meta" not in str(event.payload)


def test_bundle_components_resolve_to_product_ids(state: SimulatorState) -> None:
    record = state.records("bundle")[0]
    obj = state.render("bundle", record["id"], expand="components")
    payload = m.Product.model_validate(map_product(obj, lookups_for(state)).payload)
    assert payload.kind is m.ProductKind.BUNDLE
    assert [c.assortment_id for c in payload.components] == [c["assortment"].id for c in record["components"].rows]


def test_bundle_without_expanded_components_is_unmappable(state: SimulatorState) -> None:
    obj = state.render("bundle", state.records("bundle")[0]["id"])
    with pytest.raises(Unmappable):
        map_product(obj, lookups_for(state))


def test_variant_keeps_its_product_and_characteristics(state: SimulatorState) -> None:
    record = state.records("variant")[0]
    payload = m.Variant.model_validate(map_variant(state.render("variant", record["id"]), lookups_for(state)).payload)
    assert payload.product_id == record["product"].id
    assert len(payload.characteristics) == len(record["characteristics"])


def test_nested_folder_points_at_its_parent(state: SimulatorState) -> None:
    record = next(r for r in state.records("productfolder") if "productFolder" in r)
    payload = m.Folder.model_validate(map_folder(state.render("productfolder", record["id"]), Lookups()).payload)
    assert payload.parent_id == record["productFolder"].id
    assert payload.path == record["pathName"]


def test_product_with_a_broken_price_is_unmappable(state: SimulatorState) -> None:
    obj = state.render("product", state.records("product")[0]["id"])
    obj["salePrices"][0]["value"] = "a lot"
    with pytest.raises(Unmappable):
        map_product(obj, lookups_for(state))

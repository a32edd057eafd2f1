"""Catalog products and sections as canonical products and folders: prefixed ids, exact money with its currency,
VAT from the portal's rates, archived when inactive, and a clear reason for what cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bitrix24_connector.mapping.common import Unmappable
from bitrix24_connector.mapping.deals import map_position
from bitrix24_connector.mapping.products import map_product, map_section, section_paths, vat_rates
from bitrix24_connector.sync.reconcile import deleted_event

PORTAL = "demo.bitrix24.ru"
RATES = vat_rates([{"ID": "1", "RATE": None}, {"ID": "3", "RATE": "10.00"}, {"ID": "4", "RATE": "20.00"}])


def product(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ID": "17",
        "NAME": "Чайник Bosch 300",
        "ACTIVE": "Y",
        "PRICE": "2499.90",
        "CURRENCY_ID": "RUB",
        "VAT_ID": "4",
        "VAT_INCLUDED": "Y",
        "SECTION_ID": "5",
        "XML_ID": "64f4d1e9-1691-1113-8000-a3b1799d005b",
        "DESCRIPTION": None,
        "TIMESTAMP_X": "2025-12-20T12:30:05+03:00",
    }
    return base | fields


def test_a_product_maps_with_its_prefixed_id_exact_price_vat_and_section() -> None:
    event = map_product(product(), PORTAL, RATES)
    p = event.payload
    assert event.event_type == "product.upserted"
    assert event.entity_id == p["id"] == "product-17"
    assert event.source == "bitrix24"
    assert p["folder_id"] == "section-5"
    assert p["sale_prices"] == [
        {"price_type": "Базовая цена", "price_type_id": "BASE", "amount": "2499.90", "currency": "RUB"}
    ]
    assert (Decimal(p["vat_percent"]), p["vat_enabled"], p["archived"]) == (Decimal(20), True, False)
    assert p["external_code"] == "64f4d1e9-1691-1113-8000-a3b1799d005b"
    assert p["updated_at"] == "2025-12-20T09:30:05Z"


def test_an_inactive_product_without_vat_or_section_is_archived_with_no_vat() -> None:
    p = map_product(product(ACTIVE="N", VAT_ID="1", SECTION_ID=None, CURRENCY_ID="USD"), PORTAL, RATES).payload
    assert p["archived"] is True
    assert (p["vat_percent"], p["vat_enabled"], p["folder_id"]) == (None, False, None)
    assert p["sale_prices"][0]["currency"] == "USD"


def test_a_price_before_vat_says_so_and_stays_exact() -> None:
    (price,) = map_product(product(VAT_INCLUDED="N", VAT_ID="3"), PORTAL, RATES).payload["sale_prices"]
    assert (price["price_type"], price["amount"]) == ("Базовая цена без НДС", "2499.90")


def test_a_price_answered_as_a_number_is_read_exactly() -> None:
    (price,) = map_product(product(PRICE=2499.9), PORTAL, RATES).payload["sale_prices"]
    assert Decimal(price["amount"]) == Decimal("2499.9")


def test_two_states_within_one_second_are_two_versions() -> None:
    first = map_product(product(), PORTAL, RATES)
    second = map_product(product(PRICE="2599.90"), PORTAL, RATES)
    assert first.source_version != second.source_version
    assert first.event_id != second.event_id


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"VAT_ID": "9"}, "VAT_ID '9' is not a rate"),
        ({"CURRENCY_ID": "рубли"}, "CURRENCY_ID"),
        ({"PRICE": "дорого"}, "PRICE"),
        ({"TIMESTAMP_X": None}, "TIMESTAMP_X"),
        ({"NAME": " "}, "NAME"),
        ({"ACTIVE": None}, "ACTIVE"),
    ],
)
def test_a_product_that_cannot_be_read_says_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unmappable, match=reason):
        map_product(product(**fields), PORTAL, RATES)


def test_sections_become_folders_with_their_parent_and_path() -> None:
    sections = [
        {"ID": "1", "NAME": "Электроника", "SECTION_ID": None, "XML_ID": None},
        {"ID": "2", "NAME": "Смартфоны", "SECTION_ID": "1", "XML_ID": "phones"},
        {"ID": "3", "NAME": "Чехлы", "SECTION_ID": "2", "XML_ID": None},
    ]
    paths = section_paths(sections)
    assert paths == {"1": "", "2": "Электроника", "3": "Электроника/Смартфоны"}
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    event = map_section(sections[2], PORTAL, paths["3"], seen, "digest")
    f = event.payload
    assert (event.event_type, event.entity_id) == ("folder.upserted", "section-3")
    assert (f["parent_id"], f["path"], f["name"]) == ("section-2", "Электроника/Смартфоны", "Чехлы")


@pytest.mark.parametrize(
    ("sections", "reason"),
    [
        ([{"ID": "1", "NAME": "a", "SECTION_ID": "2"}, {"ID": "2", "NAME": "b", "SECTION_ID": "1"}], "inside itself"),
        ([{"ID": "1", "NAME": "a", "SECTION_ID": "7"}], "not listed"),
    ],
)
def test_a_broken_section_tree_is_refused(sections: list[dict[str, Any]], reason: str) -> None:
    with pytest.raises(Unmappable, match=reason):
        section_paths(sections)


def test_a_deal_row_names_the_catalog_product_by_the_same_id() -> None:
    row = {"ID": "7", "PRODUCT_ID": 17, "PRODUCT_NAME": "Чайник", "PRICE": 2299.9, "QUANTITY": 1.0}
    assert map_position(row).product_id == map_product(product(), PORTAL, RATES).entity_id
    assert map_position({**row, "PRODUCT_ID": 0}).product_id is None  # a free-text row names no product


def test_a_delete_in_the_same_second_as_the_last_edit_is_newer_than_every_state_of_that_second() -> None:
    edited = datetime(2025, 12, 20, 9, 30, 5, tzinfo=UTC)
    states = [map_product(product(PRICE=f"{n}.00", TIMESTAMP_X=edited.isoformat()), PORTAL, RATES) for n in range(50)]
    deleted = deleted_event(PORTAL, "product", "product-17", edited + timedelta(microseconds=400_000))
    assert all(deleted.source_version > state.source_version for state in states)

"""Funnels as pipelines and deals as canonical deals: stages in order with semantics, exact money, parties, rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bitrix24_connector.mapping.common import Unmappable
from bitrix24_connector.mapping.deals import map_deal, map_pipeline, stage_entity

PORTAL = "demo.bitrix24.ru"


def deal(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ID": "1",
        "TITLE": "Оптовый заказ #1",
        "CATEGORY_ID": "1",
        "STAGE_ID": "C1:LOSE",
        "STAGE_SEMANTIC_ID": "F",
        "CURRENCY_ID": "RUB",
        "OPPORTUNITY": "189402.10",
        "COMPANY_ID": "30",
        "CONTACT_ID": None,
        "ASSIGNED_BY_ID": "5",
        "CLOSED": "Y",
        "CLOSEDATE": "2025-08-08T23:28:17+03:00",
        "DATE_CREATE": "2025-07-19T08:14:02+03:00",
        "DATE_MODIFY": "2025-08-08T23:28:17+03:00",
    }
    return base | fields


ROW = {"ID": "7", "PRODUCT_ID": 142, "PRODUCT_NAME": "Мука", "PRICE": 279.1, "QUANTITY": 3.0, "DISCOUNT_RATE": 0}


def test_a_lost_deal_maps_with_exact_money_parties_and_its_close_time() -> None:
    event = map_deal(deal(), PORTAL, [ROW])
    d = event.payload
    assert event.event_type == "deal.upserted"
    assert d["pipeline_id"] == "1"
    assert d["stage_id"] == "C1:LOSE"
    assert d["stage_semantics"] == "lost"
    assert Decimal(d["amount"]["amount"]) == Decimal("189402.10")
    assert d["amount"]["currency"] == "RUB"
    assert d["company_id"] == "company-30"
    assert d["contact_id"] is None
    assert d["responsible_id"] == "5"
    assert d["responsible_name"] is None
    assert d["closed"] is True
    assert d["closed_at"] == "2025-08-08T20:28:17Z"
    assert d["created_at"] == "2025-07-19T05:14:02Z"


def test_product_rows_become_positions_with_exact_amounts() -> None:
    (position,) = map_deal(deal(), PORTAL, [ROW]).payload["positions"]
    assert position["product_id"] == "product-142"  # the catalog product's id on catalog.products.v1
    assert Decimal(position["price"]) == Decimal("279.1")
    assert Decimal(position["quantity"]) == Decimal("3.0")
    assert Decimal(position["amount"]) == Decimal("837.30")


def test_an_open_deal_is_not_closed_and_its_close_date_is_expected() -> None:
    d = map_deal(deal(STAGE_ID="C1:NEW", STAGE_SEMANTIC_ID="P", CLOSED="N", CONTACT_ID="4"), PORTAL, []).payload
    assert d["stage_semantics"] == "open"
    assert d["closed"] is False
    assert d["closed_at"] is None
    assert d["expected_close_date"] == "2025-08-08"
    assert d["contact_id"] == "contact-4"


def test_a_won_deal_is_won() -> None:
    assert map_deal(deal(STAGE_ID="C1:WON", STAGE_SEMANTIC_ID="S"), PORTAL, []).payload["stage_semantics"] == "won"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"STAGE_SEMANTIC_ID": "X"}, "STAGE_SEMANTIC_ID"),
        ({"CURRENCY_ID": ""}, "CURRENCY_ID"),
        ({"OPPORTUNITY": "много"}, "OPPORTUNITY"),
        ({"DATE_MODIFY": None}, "DATE_MODIFY"),
    ],
)
def test_a_deal_that_cannot_be_read_says_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unmappable, match=reason):
        map_deal(deal(**fields), PORTAL, [])


def test_a_funnel_lists_its_stages_in_order_with_their_semantics() -> None:
    category = {"id": 1, "name": "Опт", "sort": 200, "isDefault": "N"}
    statuses = [
        {"STATUS_ID": "C1:WON", "NAME": "Успех", "SORT": "40", "SEMANTICS": "S"},
        {"STATUS_ID": "C1:NEW", "NAME": "Новая", "SORT": "10", "SEMANTICS": None, "EXTRA": {"SEMANTICS": "process"}},
        {"STATUS_ID": "C1:LOSE", "NAME": "Провал", "SORT": "50", "SEMANTICS": None, "EXTRA": {"SEMANTICS": "failure"}},
    ]
    event = map_pipeline(category, statuses, PORTAL, datetime(2026, 1, 1, tzinfo=UTC), "digest")
    p = event.payload
    assert event.entity_id == p["id"] == "1"
    assert p["is_default"] is False
    assert [(s["id"], s["semantics"]) for s in p["stages"]] == [
        ("C1:NEW", "open"),
        ("C1:WON", "won"),
        ("C1:LOSE", "lost"),
    ]


def test_funnel_zero_keeps_its_stages_under_deal_stage() -> None:
    assert stage_entity(0) == "DEAL_STAGE"
    assert stage_entity(2) == "DEAL_STAGE_2"

"""`GET /api/v1/analytics/inventory/report`: value, turnover, cover, dead stock, ABC and XYZ."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from analytics_testkit import document_event, msk, new_id, position, product_event, stock_event

from analytics_service.inventory.classify import abc, coefficient_of_variation, xyz
from crm_common.events.models import DocumentKind

AS_OF = date(2025, 6, 30)


def test_abc_puts_the_items_making_80_percent_in_a() -> None:
    classes = abc(
        {"a": Decimal(70), "b": Decimal(20), "c": Decimal(6), "d": Decimal(4), "e": Decimal(0)},
        Decimal("0.8"),
        Decimal("0.95"),
    )
    assert classes == {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C"}


def test_xyz_uses_the_coefficient_of_variation() -> None:
    assert xyz(coefficient_of_variation([Decimal(10)] * 4), Decimal("0.1"), Decimal("0.25")) == "X"
    assert xyz(coefficient_of_variation([Decimal(0), Decimal(20)]), Decimal("0.1"), Decimal("0.25")) == "Z"
    assert xyz(None, Decimal("0.1"), Decimal("0.25")) == "Z"


async def test_report_values_stock_and_flags_dead_stock(api, seed) -> None:  # type: ignore[no-untyped-def]
    events = [
        product_event("fast", 1, "Ходовой", sale="200"),
        product_event("dead", 1, "Залежалый", sale="50"),
        stock_event("fast", "s1", 1, 30, unit_cost=100),
        stock_event("dead", "s1", 1, 10, unit_cost=20),
    ]
    for week in range(13):  # 7 units a week for 13 weeks
        day = AS_OF - timedelta(days=7 * week)
        events.append(
            document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("fast", 7, 200, cost=100)])
        )
    await seed(*events)

    r = await api.get("/api/v1/analytics/inventory/report", params={"as_of": AS_OF.isoformat(), "window_days": 91})
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["assortment_id"]: i for i in body["items"]}
    assert body["summary"]["value_at_cost"] == "3200.00"
    assert body["summary"]["value_at_sale_price"] == "6500.00"
    fast, dead = items["fast"], items["dead"]
    assert (fast["sold_quantity"], fast["days_of_cover"], fast["dead_stock"]) == ("91.000", "30.0", False)
    assert fast["turnover"] == "3.03"  # 9100 cost of goods sold / 3000 stock at cost
    assert (fast["abc_revenue"], fast["xyz"]) == ("A", "X")
    assert (dead["dead_stock"], dead["abc_revenue"], dead["xyz"]) == (True, "C", "Z")
    assert body["summary"]["dead_stock_value_at_cost"] == "200.00"


async def test_unknown_sort_is_422(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/inventory/report", params={"sort": "colour"})
    assert r.status_code == 422

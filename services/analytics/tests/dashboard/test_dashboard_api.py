"""`GET /api/v1/analytics/dashboard`: the owner's numbers, to the kopeck, against the previous period."""

from __future__ import annotations

from datetime import date

from analytics_testkit import (
    customer_event,
    document_event,
    msk,
    new_id,
    position,
    product_event,
    stock_event,
)

from crm_common.events.models import DocumentKind

TODAY = date(2025, 3, 12)  # a Wednesday
SHIP, RETAIL, RETURN = DocumentKind.SHIPMENT, DocumentKind.RETAIL_SALE, DocumentKind.SALES_RETURN


async def _seed_week(seed) -> None:  # type: ignore[no-untyped-def]
    await seed(
        product_event("p1", 1, "Чайник", sale="1500"),
        product_event("p2", 1, "Кружка", sale="300"),
        customer_event("c1", 1, "ООО Ромашка"),
        customer_event("c2", 1, "ИП Иванов"),
        # Last week: c1 bought once.
        document_event(SHIP, new_id(), 1, msk(date(2025, 3, 4)), [position("p1", 1, 1000, cost=600)], customer="c1"),
        # This week: c1 returns, c2 is new; one return.
        document_event(
            SHIP, new_id(), 1, msk(date(2025, 3, 10)), [position("p1", 2, "1000.50", cost=600)], customer="c1"
        ),
        document_event(
            RETAIL,
            new_id(),
            1,
            msk(date(2025, 3, 11)),
            [position("p2", 3, "250.10", cost=100, discount=10)],
            customer="c2",
        ),
        document_event(
            RETURN, new_id(), 1, msk(date(2025, 3, 12)), [position("p2", 1, "225.09", cost=100)], customer="c2"
        ),
        document_event(DocumentKind.CUSTOMER_ORDER, new_id(), 1, msk(date(2025, 3, 12)), [position("p1", 1, 1500)]),
        stock_event("p1", "store-1", 1, 4, unit_cost=600, minimum=5),
        stock_event("p2", "store-1", 1, 10, unit_cost=100, minimum=2),
    )


async def test_dashboard_reports_revenue_profit_and_customers_for_the_week(api, seed) -> None:  # type: ignore[no-untyped-def]
    await _seed_week(seed)
    r = await api.get("/api/v1/analytics/dashboard", params={"period": "week", "as_of": TODAY.isoformat()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == {"start": "2025-03-10", "end": "2025-03-12"}
    assert body["previous_period"] == {"start": "2025-03-03", "end": "2025-03-05"}
    cur = body["current"]
    # 2×1000.50 + 3×250.10×0.9 − 225.09 = 2001.00 + 675.27 − 225.09
    assert cur["revenue"] == "2451.18"
    assert cur["cost"] == "1400.00"  # 1200 + 300 − 100
    assert cur["profit"] == "1051.18"
    assert cur["sales_count"] == 2
    assert cur["returns_count"] == 1
    assert cur["orders_count"] == 1
    assert cur["average_check"] == "1225.59"
    assert cur["units_sold"] == "5.000"
    assert (cur["customers"], cur["new_customers"], cur["returning_customers"]) == (2, 1, 1)
    assert body["previous"]["revenue"] == "1000.00"
    assert body["change_percent"]["revenue"] == "145.12"


async def test_dashboard_lists_top_products_and_customers_with_names(api, seed) -> None:  # type: ignore[no-untyped-def]
    await _seed_week(seed)
    body = (await api.get("/api/v1/analytics/dashboard", params={"period": "week", "as_of": TODAY.isoformat()})).json()
    assert [(p["assortment_id"], p["name"]) for p in body["top_products"]] == [("p1", "Чайник"), ("p2", "Кружка")]
    assert [c["name"] for c in body["top_customers"]] == ["ООО Ромашка", "ИП Иванов"]


async def test_dashboard_values_stock_at_cost_and_sale_price_and_counts_low_stock(api, seed) -> None:  # type: ignore[no-untyped-def]
    await _seed_week(seed)
    body = (await api.get("/api/v1/analytics/dashboard", params={"as_of": TODAY.isoformat()})).json()
    assert body["stock"] == {"value_at_cost": "3400.00", "value_at_sale_price": "9000.00", "low_stock_count": 1}


async def test_custom_period_without_dates_is_422_with_the_uniform_body(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/dashboard", params={"period": "custom"})
    assert r.status_code == 422
    assert r.json()["error"] == "ValidationFailed"


async def test_unknown_period_is_422(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/dashboard", params={"period": "fortnight"})
    assert r.status_code == 422
    assert set(r.json()) == {"error", "detail"}


async def test_reversed_custom_period_is_422(api) -> None:  # type: ignore[no-untyped-def]
    params = {"period": "custom", "date_from": "2025-03-10", "date_to": "2025-03-01"}
    assert (await api.get("/api/v1/analytics/dashboard", params=params)).status_code == 422


async def test_dashboard_needs_a_token(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/dashboard", headers={"Authorization": ""})
    assert r.status_code == 401


async def test_dashboard_needs_analytics_read(api, mint) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/dashboard", headers=mint.headers("products:read"))
    assert r.status_code == 403
    assert r.json()["error"] == "Forbidden"

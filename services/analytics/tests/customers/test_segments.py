"""RFM segments and one customer's profile."""

from __future__ import annotations

from datetime import date, timedelta

from analytics_testkit import customer_event, document_event, msk, new_id, position

from analytics_service.customers.rfm import quintile_scores, segment_for
from crm_common.events.models import DocumentKind

AS_OF = date(2025, 6, 30)


def test_quintile_scores_rank_values_and_share_ties() -> None:
    assert quintile_scores([1, 2, 3, 4, 5]) == [1, 2, 3, 4, 5]
    assert quintile_scores([7, 7, 7]) == [1, 1, 1]


def test_segment_grid_names_the_corners() -> None:
    assert segment_for(5, 5).code == "champions"
    assert segment_for(5, 5).name_ru == "Чемпионы"
    assert segment_for(1, 1).code == "hibernating"
    assert segment_for(1, 5).code == "cant_lose"
    assert segment_for(5, 1).code == "new"


async def _seed(seed) -> None:  # type: ignore[no-untyped-def]
    events = [customer_event(f"c{i}", 1, f"Покупатель {i}") for i in range(1, 6)]
    # c1 buys often and recently; c5 once, long ago.
    for i, (purchases, days_ago) in enumerate([(6, 1), (4, 20), (3, 60), (2, 120), (1, 300)], start=1):
        for n in range(purchases):
            day = AS_OF - timedelta(days=days_ago + 7 * n)
            events.append(
                document_event(
                    DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 1, 100 * i)], customer=f"c{i}"
                )
            )
    await seed(*events)


async def test_segments_count_customers_and_revenue_share(api, seed) -> None:  # type: ignore[no-untyped-def]
    await _seed(seed)
    r = await api.get(
        "/api/v1/analytics/customers/segments", params={"as_of": AS_OF.isoformat(), "segment": "champions"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customers_total"] == 5
    by_code = {s["code"]: s for s in body["segments"]}
    assert by_code["champions"]["customers"] == 1
    assert by_code["champions"]["name_en"] == "Champions"
    assert by_code["champions"]["revenue_share_percent"] == "16.67"  # 600 of 600+800+900+800+500
    assert sum(s["customers"] for s in body["segments"]) == 5
    assert [(c["customer_id"], c["name"]) for c in body["customers"]] == [("c1", "Покупатель 1")]
    assert [s["code"] for s in body["segments"] if s["customers"]] != ["champions"]


async def test_unknown_segment_is_422(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/customers/segments", params={"segment": "whales"})
    assert r.status_code == 422


async def test_customer_profile_shows_purchases_and_segment(api, seed) -> None:  # type: ignore[no-untyped-def]
    await _seed(seed)
    r = await api.get("/api/v1/analytics/customers/c2", params={"as_of": AS_OF.isoformat()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["sales_count"], body["revenue"], body["average_check"]) == (
        "Покупатель 2",
        4,
        "800.00",
        "200.00",
    )
    assert body["rfm"]["customer_id"] == "c2"
    assert body["segment_name_ru"]
    assert body["top_products"][0]["assortment_id"] == "p1"


async def test_unknown_customer_is_404(api, clean) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/customers/nobody")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"

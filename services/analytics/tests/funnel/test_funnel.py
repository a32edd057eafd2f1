"""The funnel from pipeline and deal events, through the projection batch and the API, numbers worked out by hand.

Pipeline "Продажи" (sort order): NEW 10 → OFFER 20 → INVOICE 30 → WON 40 (won), LOSE 50 (lost).
Deals created in June 2025 (Moscow business days):
  d1 NEW→OFFER→INVOICE→WON, 1000 RUB, Анна, created 1 June, won 11 June  (10 days)
  d2 NEW→OFFER→WON,          500 RUB, Анна, created 2 June, won 6 June   (4 days)
  d3 NEW→OFFER→LOSE,         300 RUB, Борис (reached OFFER before it was lost)
  d4 NEW→OFFER,              200 RUB, Борис (open at OFFER)
  d5 NEW,                    100 RUB, Анна  (open at NEW)
  d6 NEW,                     70 USD, Борис (another currency: counted, not valued)
  d7 created 31 May 23:30 Moscow: outside the June cohort.
Reached (this stage or a later one): NEW 6, OFFER 4 (d1..d4), INVOICE 2 (d1, and d2 that skipped it), WON 2 —
NEW → OFFER 4/6 = 66.67%, OFFER → INVOICE 2/4 = 50%, INVOICE → WON 2/2 = 100%.
Win rate 2 / (2 + 1) = 66.67%; average cycle (10 + 4) / 2 = 7.0 days; open value 200 + 100 = 300 RUB.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from analytics_testkit import deal_deleted, deal_event, pipeline_event

from analytics_service.funnel.report import DealFacts, Stage, funnel
from crm_common.events.envelope import EventEnvelope

MSK = timedelta(hours=3)
JUNE = {"period": "custom", "date_from": "2025-06-01", "date_to": "2025-06-30"}


def at(day: int, hour: int = 12, month: int = 6) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC) - MSK


def june_deals() -> list[EventEnvelope]:
    return [
        pipeline_event(),
        deal_event("d1", 1, [("NEW", at(1)), ("OFFER", at(3)), ("INVOICE", at(5)), ("WON", at(11))], "1000", "u1"),
        deal_event("d2", 1, [("NEW", at(2)), ("OFFER", at(4)), ("WON", at(6))], "500", "u1", closed_at=at(6)),
        deal_event("d3", 1, [("NEW", at(2)), ("OFFER", at(5)), ("LOSE", at(9))], "300", "u2"),
        deal_event("d4", 1, [("NEW", at(3)), ("OFFER", at(8))], "200", "u2"),
        deal_event("d5", 1, [("NEW", at(20))], "100", "u1"),
        deal_event("d6", 1, [("NEW", at(21))], "70", "u2", currency="USD"),
        deal_event("d7", 1, [("NEW", datetime(2025, 5, 31, 20, 30, tzinfo=UTC))], "999", "u1"),  # 23:30 Moscow
    ]


async def test_the_funnel_of_a_pipeline_through_the_api(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(*june_deals())

    r = await api.get("/api/v1/analytics/funnel", params=JUNE)

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["pipeline_id"], body["pipeline_name"], body["currency"]) == ("0", "Продажи", "RUB")
    assert (body["deals"], body["open"], body["won"], body["lost"]) == (6, 3, 2, 1)
    assert body["win_rate_percent"] == "66.67"
    assert body["average_cycle_days"] == "7.0"
    assert (body["open_value"], body["won_value"], body["other_currency_deals"]) == ("300.00", "1500.00", 1)
    stages = {s["stage_id"]: s for s in body["stages"]}
    assert [s["stage_id"] for s in body["stages"]] == ["NEW", "OFFER", "INVOICE", "WON", "LOSE"]
    assert {k: (v["reached"], v["current_deals"], v["current_value"]) for k, v in stages.items()} == {
        "NEW": (6, 2, "100.00"),
        "OFFER": (4, 1, "200.00"),
        "INVOICE": (2, 0, "0.00"),
        "WON": (2, 2, "1500.00"),
        "LOSE": (1, 1, "300.00"),
    }
    assert [stages[s]["conversion_to_next_percent"] for s in ("NEW", "OFFER", "INVOICE", "WON", "LOSE")] == [
        "66.67",
        "50.00",
        "100.00",
        None,
        None,
    ]
    assert [(p["responsible_name"], p["open_deals"], p["open_value"]) for p in body["by_responsible"]] == [
        ("Борис", 2, "200.00"),  # d4 200 RUB + d6 in USD (not valued)
        ("Анна", 1, "100.00"),
    ]


async def test_pipelines_summary_and_the_exports(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(*june_deals())

    summary = (await api.get("/api/v1/analytics/funnel/pipelines", params=JUNE)).json()
    csv_response = await api.get("/api/v1/analytics/funnel", params={**JUNE, "format": "csv"})
    xlsx_response = await api.get("/api/v1/analytics/funnel", params={**JUNE, "format": "xlsx"})

    assert [(p["pipeline_id"], p["deals"], p["won"], p["lost"], p["open_value"]) for p in summary["items"]] == [
        ("0", 6, 2, 1, "300.00")
    ]
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert [(r["stage_id"], r["reached"], r["conversion_to_next_percent"]) for r in rows][:2] == [
        ("NEW", "6", "66.67"),
        ("OFFER", "4", "50.00"),
    ]
    assert xlsx_response.status_code == 200
    assert xlsx_response.content[:2] == b"PK"  # a zip: the workbook


async def test_moves_stale_events_and_deletions(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(pipeline_event(), deal_event("d1", 1, [("NEW", at(1))], "100", "u1"))
    await seed(deal_event("d1", 3, [("NEW", at(1)), ("OFFER", at(2)), ("INVOICE", at(4))], "150", "u1"))
    await seed(deal_event("d1", 2, [("NEW", at(1)), ("OFFER", at(2))], "120", "u1"))  # late and stale: ignored
    body = (await api.get("/api/v1/analytics/funnel", params=JUNE)).json()
    assert {s["stage_id"]: s["reached"] for s in body["stages"]}["INVOICE"] == 1
    assert body["open_value"] == "150.00"

    await seed(pipeline_event(version=2, name="Продажи (опт)"))
    await seed(deal_deleted("d1", 4))
    body = (await api.get("/api/v1/analytics/funnel", params=JUNE)).json()
    assert (body["pipeline_name"], body["deals"], body["open_value"]) == ("Продажи (опт)", 0, "0.00")
    assert all(s["reached"] == 0 for s in body["stages"])


async def test_no_pipeline_is_a_clear_404(api, clean) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/funnel", params=JUNE)
    unknown = await api.get("/api/v1/analytics/funnel", params={**JUNE, "pipeline_id": "nope"})

    assert r.status_code == 404
    assert r.json() == {"error": "NotFound", "detail": "no pipelines yet: connect a CRM integration"}
    assert unknown.status_code == 404


def test_a_funnel_without_history_counts_the_current_stage_as_the_progress() -> None:
    stages = [Stage("A", "A", 1, "open"), Stage("B", "B", 2, "open"), Stage("W", "W", 3, "won")]
    created = datetime(2025, 6, 1, tzinfo=UTC)
    deals = [
        DealFacts("x", "B", "open", Decimal(10), "RUB", None, None, created, None, 2),
        DealFacts("y", "A", "open", Decimal(5), "RUB", None, None, created, None, 1),
    ]

    report = funnel(("p", "P"), (date(2025, 6, 1), date(2025, 6, 30)), stages, deals, "RUB")

    assert [(s.stage_id, s.reached) for s in report.stages] == [("A", 2), ("B", 1), ("W", 0)]
    assert report.win_rate_percent is None
    assert report.average_cycle_days is None
    assert [(r.responsible_id, r.open_value) for r in report.by_responsible] == [(None, Decimal("15.00"))]

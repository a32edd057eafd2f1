"""A lost deal counts for the stages its history says it went through (the Bitrix24 connector publishes the history
of every deal, docs/bitrix24.md "Stage history"); without the history it reached no stage at all.

Pipeline NEW 10 → OFFER 20 → INVOICE 30 → WON 40, LOSE 50; deals created in June 2025:
  w  NEW→OFFER→INVOICE→WON (Анна), o NEW (Борис, open), l lost.
Without l's history (as published before): reached NEW 2, OFFER 1, INVOICE 1, WON 1 — conversions 50, 100, 100.
With l's history NEW→OFFER→INVOICE→LOSE: reached NEW 3, OFFER 2, INVOICE 2, WON 1 — conversions 66.67, 100, 50.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics_testkit import deal_event, pipeline_event

JUNE = {"period": "custom", "date_from": "2025-06-01", "date_to": "2025-06-30"}


def at(day: int) -> datetime:
    return datetime(2025, 6, day, 9, tzinfo=UTC)


async def test_a_lost_deal_counts_for_the_stages_its_history_went_through(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(
        pipeline_event(),
        deal_event("w", 1, [("NEW", at(1)), ("OFFER", at(2)), ("INVOICE", at(3)), ("WON", at(4))], "1000", "u1"),
        deal_event("o", 1, [("NEW", at(5))], "200", "u2"),
        deal_event("l", 1, [("LOSE", at(2))], "300", "u1"),  # no history: only where it ended
    )
    before = (await api.get("/api/v1/analytics/funnel", params=JUNE)).json()

    await seed(deal_event("l", 2, [("NEW", at(2)), ("OFFER", at(3)), ("INVOICE", at(6)), ("LOSE", at(9))], "300", "u1"))
    after = (await api.get("/api/v1/analytics/funnel", params=JUNE)).json()

    def reached(body: dict) -> dict[str, tuple[int, str | None]]:  # type: ignore[type-arg]
        return {s["stage_id"]: (s["reached"], s["conversion_to_next_percent"]) for s in body["stages"]}

    assert reached(before) == {
        "NEW": (2, "50.00"),
        "OFFER": (1, "100.00"),
        "INVOICE": (1, "100.00"),
        "WON": (1, None),
        "LOSE": (1, None),
    }
    assert reached(after) == {
        "NEW": (3, "66.67"),
        "OFFER": (2, "100.00"),
        "INVOICE": (2, "50.00"),
        "WON": (1, None),
        "LOSE": (1, None),
    }
    assert (after["won"], after["lost"], after["win_rate_percent"]) == (1, 1, "50.00")
    assert [(r["responsible_id"], r["responsible_name"]) for r in after["by_responsible"]] == [("u2", "Борис")]

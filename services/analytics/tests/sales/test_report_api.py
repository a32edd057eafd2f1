"""`GET /api/v1/analytics/sales/report`: grouping, filters, totals and exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from analytics_testkit import document_event, folder_event, msk, new_id, position, product_event, store_event

from crm_common.events.models import DocumentKind

SHIP = DocumentKind.SHIPMENT
MARCH = {"period": "custom", "date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture
async def march(seed) -> None:  # type: ignore[no-untyped-def]
    await seed(
        folder_event("f-tea", 1, "Чай"),
        product_event("p1", 1, "Пуэр", folder="f-tea"),
        product_event("p2", 1, "Улун", folder="f-tea"),
        product_event("p3", 1, "Чайник"),
        store_event("s1", 1, "Склад"),
        document_event(SHIP, new_id(), 1, msk(date(2025, 3, 3)), [position("p1", 1, 100, cost=40)], store="s1"),
        document_event(SHIP, new_id(), 1, msk(date(2025, 3, 4)), [position("p2", 2, 50, cost=20)], store="s1"),
        document_event(
            SHIP,
            new_id(),
            1,
            msk(date(2025, 3, 20)),
            [position("p3", 1, 1000, cost=700), position("p1", 1, 100, cost=40)],
        ),
        document_event(SHIP, new_id(), 1, msk(date(2025, 4, 1)), [position("p1", 5, 100, cost=40)]),
    )


async def test_report_groups_by_week(api, march) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/sales/report", params={**MARCH, "group_by_time": "week"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(row["bucket"], row["revenue"]) for row in body["rows"]] == [
        ("2025-03-03", "200.00"),  # Monday 3 March: both early-March shipments
        ("2025-03-17", "1100.00"),
    ]
    assert body["totals"]["revenue"] == "1300.00"
    assert body["totals"]["profit"] == "480.00"  # 60 + 2×30 + 300 + 60
    assert body["totals"]["documents"] == 3


async def test_report_groups_by_folder_with_names(api, march) -> None:  # type: ignore[no-untyped-def]
    params = {**MARCH, "group_by_time": "none", "group_by": "folder", "sort": "revenue", "direction": "desc"}
    body = (await api.get("/api/v1/analytics/sales/report", params=params)).json()
    assert [(row["key"], row["name"], row["revenue"]) for row in body["rows"]] == [
        ("", None, "1000.00"),
        ("f-tea", "Чай", "300.00"),
    ]


async def test_report_filters_by_product_and_store(api, march) -> None:  # type: ignore[no-untyped-def]
    params = {**MARCH, "group_by_time": "month", "product_id": "p1", "store_id": "s1"}
    body = (await api.get("/api/v1/analytics/sales/report", params=params)).json()
    assert [(row["bucket"], row["quantity"], row["margin_percent"]) for row in body["rows"]] == [
        ("2025-03-01", "1.000", "60.00")
    ]


async def test_report_exports_csv_with_a_totals_line(api, march) -> None:  # type: ignore[no-untyped-def]
    params = {**MARCH, "group_by_time": "none", "group_by": "product", "sort": "key", "format": "csv"}
    r = await api.get("/api/v1/analytics/sales/report", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["bucket", "key", "name"]
    assert [(row[1], row[2], row[5]) for row in rows[1:-1]] == [
        ("p1", "Пуэр", "200.00"),
        ("p2", "Улун", "100.00"),
        ("p3", "Чайник", "1000.00"),
    ]
    assert rows[-1][0] == "total"
    assert rows[-1][5] == "1300.00"


async def test_report_exports_xlsx(api, march) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/sales/report", params={**MARCH, "format": "xlsx"})
    assert r.status_code == 200
    assert r.content[:2] == b"PK"  # an Office Open XML zip
    assert "attachment" in r.headers["content-disposition"]


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "colour"},
        {"group_by_time": "year"},
        {"period": "custom", "date_from": "2025-01-01"},
        {"format": "pdf"},
        {"period": "custom", "date_from": "2020-01-01", "date_to": "2025-01-01"},
    ],
)
async def test_bad_groupings_and_periods_are_422(api, params) -> None:  # type: ignore[no-untyped-def]
    r = await api.get("/api/v1/analytics/sales/report", params=params)
    assert r.status_code == 422
    assert set(r.json()) == {"error", "detail"}

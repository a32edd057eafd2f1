"""Facts built from one document: signs, VAT, business day in the company's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from analytics_testkit import document_event, new_id, position

from analytics_service.sales.facts import build_facts
from crm_common.events.models import Document, DocumentKind

MOSCOW = ZoneInfo("Europe/Moscow")


def _doc(kind: DocumentKind, moment: datetime, *positions, **kw) -> Document:  # type: ignore[no-untyped-def]
    return Document.model_validate(document_event(kind, new_id(), 1, moment, positions, **kw).payload)


def test_shipment_position_carries_revenue_after_discount_cost_and_profit() -> None:
    doc = _doc(
        DocumentKind.SHIPMENT, datetime(2025, 3, 3, 9, tzinfo=UTC), position("p1", 3, 100, cost="40.5", discount=10)
    )
    [fact] = build_facts(doc, MOSCOW)
    assert fact["revenue"] == Decimal("270")
    assert fact["cost"] == Decimal("121.5")
    assert fact["profit"] == Decimal("148.5")
    assert fact["quantity"] == Decimal(3)


def test_sales_return_subtracts() -> None:
    doc = _doc(DocumentKind.SALES_RETURN, datetime(2025, 3, 3, 9, tzinfo=UTC), position("p1", 2, 100, cost=60))
    [fact] = build_facts(doc, MOSCOW)
    assert (fact["quantity"], fact["revenue"], fact["cost"], fact["profit"]) == (-2, -200, -120, -80)


def test_business_day_is_moscow_day_not_utc_day() -> None:
    late_utc = datetime(2025, 3, 3, 22, 30, tzinfo=UTC)  # 01:30 on 4 March in Moscow
    [fact] = build_facts(_doc(DocumentKind.RETAIL_SALE, late_utc, position("p1", 1, 10)), MOSCOW)
    assert fact["business_day"] == date(2025, 3, 4)


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2010, 7, 15, 20, 30, tzinfo=UTC), date(2010, 7, 16)),  # summer time: 00:30 at UTC+4
        (datetime(2010, 12, 15, 20, 30, tzinfo=UTC), date(2010, 12, 15)),  # winter time: 23:30 at UTC+3
        (datetime(2011, 3, 28, 20, 30, tzinfo=UTC), date(2011, 3, 29)),  # after 2011-03-27: UTC+4 all year
        (datetime(2012, 12, 12, 20, 30, tzinfo=UTC), date(2012, 12, 13)),
        (datetime(2014, 10, 25, 20, 30, tzinfo=UTC), date(2014, 10, 26)),  # the last UTC+4 evening
        (datetime(2014, 10, 27, 20, 30, tzinfo=UTC), date(2014, 10, 27)),  # after 2014-10-26: UTC+3
    ],
)
def test_business_day_follows_moscow_offset_history(moment: datetime, day: date) -> None:
    [fact] = build_facts(_doc(DocumentKind.RETAIL_SALE, moment, position("p1", 1, 10)), MOSCOW)
    assert fact["business_day"] == day


def test_vat_included_is_extracted_from_the_amount() -> None:
    doc = _doc(
        DocumentKind.SHIPMENT, datetime(2025, 3, 3, tzinfo=UTC), position("p1", 1, 120, vat=20), vat_enabled=True
    )
    assert build_facts(doc, MOSCOW)[0]["vat"] == Decimal(20)


def test_vat_on_top_is_charged_on_the_amount() -> None:
    doc = _doc(
        DocumentKind.SHIPMENT,
        datetime(2025, 3, 3, tzinfo=UTC),
        position("p1", 1, 100, vat=20),
        vat_enabled=True,
        vat_included=False,
    )
    assert build_facts(doc, MOSCOW)[0]["vat"] == Decimal(20)


def test_vat_on_top_is_part_of_revenue_and_profit_like_the_document_sum() -> None:
    doc = _doc(
        DocumentKind.SHIPMENT,
        datetime(2025, 3, 3, tzinfo=UTC),
        position("p1", 3, "33.33", vat=20, discount="7.5", cost=10),
        vat_enabled=True,
        vat_included=False,
    )
    [fact] = build_facts(doc, MOSCOW)
    # 3 × 33.33 × 0.925 = 92.49075, plus 20 % = 110.9889: hundredths of a kopeck, like MoySklad's sums
    assert fact["revenue"] == Decimal("110.9889")
    assert fact["profit"] == Decimal("80.9889")


def test_unposted_documents_and_orders_make_no_facts() -> None:
    draft = _doc(DocumentKind.SHIPMENT, datetime(2025, 3, 3, tzinfo=UTC), position("p1", 1, 10), applicable=False)
    order = _doc(DocumentKind.CUSTOMER_ORDER, datetime(2025, 3, 3, tzinfo=UTC), position("p1", 1, 10))
    assert build_facts(draft, MOSCOW) == []
    assert build_facts(order, MOSCOW) == []


def test_a_retail_return_takes_back_revenue_cost_and_profit_like_a_sales_return() -> None:
    doc = _doc(DocumentKind.RETAIL_RETURN, datetime(2025, 3, 3, 9, tzinfo=UTC), position("p1", 2, 100, cost=60))
    [fact] = build_facts(doc, MOSCOW)
    assert (fact["quantity"], fact["revenue"], fact["cost"], fact["profit"]) == (-2, -200, -120, -80)

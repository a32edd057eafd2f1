"""Turning one canonical document into position facts.

Pure functions: no I/O, so the arithmetic can be tested on its own and reused by the benchmark.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from crm_common.events.models import Document, DocumentKind, Position

SALE_KINDS = frozenset({DocumentKind.SHIPMENT, DocumentKind.RETAIL_SALE})
RETURN_KINDS = frozenset({DocumentKind.SALES_RETURN, DocumentKind.RETAIL_RETURN})
FACT_KINDS = SALE_KINDS | RETURN_KINDS
SALES_TOPIC_KINDS = FACT_KINDS | {DocumentKind.CUSTOMER_ORDER}
ZERO = Decimal(0)
HUNDRED = Decimal(100)
SUM_UNIT = Decimal("0.0001")  # MoySklad keeps sums in hundredths of a kopeck


def business_day(document: Document, zone: ZoneInfo) -> date:
    return document.moment.astimezone(zone).date()


def position_vat(position: Position, document: Document) -> Decimal:
    """VAT inside (or on top of) the position amount, as MoySklad computes it from `vatEnabled`/`vatIncluded`."""
    if not document.vat_enabled or not position.vat_percent:
        return ZERO
    rate = position.vat_percent
    if document.vat_included:
        return position.amount * rate / (HUNDRED + rate)
    return position.amount * rate / HUNDRED


def line_revenue(position: Position, document: Document, vat: Decimal) -> Decimal:
    """What the buyer pays for the line, as MoySklad's document ``sum`` and profit report count it: VAT that prices
    do not include (``vatIncluded: false``) is added on top (docs/moysklad.md, "Cases the simulator generates")."""
    if document.vat_included:
        return position.amount
    return (position.amount + vat).quantize(SUM_UNIT, rounding=ROUND_HALF_UP)


def build_facts(document: Document, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Fact rows of an applicable sale or return; no rows for orders, drafts or other kinds."""
    if not document.applicable or document.kind not in FACT_KINDS:
        return []
    sign = Decimal(-1) if document.kind in RETURN_KINDS else Decimal(1)
    day = business_day(document, zone)
    rows = []
    for p in document.positions:
        cost = (p.cost or ZERO) * p.quantity
        vat = position_vat(p, document)
        revenue = line_revenue(p, document, vat)
        rows.append(
            {
                "document_id": document.id,
                "position_id": p.id,
                "kind": document.kind.value,
                "business_day": day,
                "moment": document.moment,
                "assortment_id": p.assortment_id,
                "assortment_kind": p.assortment_kind.value,
                "product_id": p.product_id,
                "customer_id": document.counterparty_id or "",
                "store_id": document.store_id or "",
                "organization_id": document.organization_id or "",
                "currency": document.currency,
                "quantity": sign * p.quantity,
                "revenue": sign * revenue,
                "vat": sign * vat,
                "cost": sign * cost,
                "profit": sign * (revenue - cost),
                "cost_known": p.cost is not None,
            }
        )
    return rows

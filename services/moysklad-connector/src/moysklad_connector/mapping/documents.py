"""Sales and purchase documents (see DOCUMENT_KINDS) → ``<kind>.upserted`` / ``<kind>.deleted``.

A document reaches the mapper with *all* its positions inlined (``expand=positions``; the runner pages
``/positions`` for documents larger than what the list inlines; docs/moysklad.md, "Collections" and "Documents")
and, for shipments, retail sales, returns and supplies, with ``fields=stock``, whose ``stock.cost`` is the unit cost
at the document moment: what MoySklad's profit report uses (same page, "Documents" and "Reports"). Orders get no
cost: theirs is the *current* cost, not the document's.

Money: MoySklad sends kopecks; a position's amount is ``quantity × price × (1 − discount/100)`` rounded half-up to
the precision MoySklad keeps document sums in (hundredths of a kopeck), in roubles. The document ``sum`` is the
source's own total; when the rounded amounts differ from it by no more than one rounding unit per position (the
source rounded a tie the other way), the difference is spread over the positions closest to a tie, so that the
positions always add up to the document total exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from moysklad_connector.mapping.common import (
    Unmappable,
    build_event,
    decimal,
    empty_to_none,
    optional_moment,
    parse_moment,
    ref_id,
    ref_type,
    required,
    roubles,
    validated,
    version_of,
)
from moysklad_connector.mapping.lookups import Lookups

DOCUMENT_KINDS: dict[str, m.DocumentKind] = {
    "customerorder": m.DocumentKind.CUSTOMER_ORDER,
    "demand": m.DocumentKind.SHIPMENT,
    "retaildemand": m.DocumentKind.RETAIL_SALE,
    "salesreturn": m.DocumentKind.SALES_RETURN,
    "retailsalesreturn": m.DocumentKind.RETAIL_RETURN,
    "supply": m.DocumentKind.SUPPLY,
    "purchaseorder": m.DocumentKind.PURCHASE_ORDER,
}
# Position meta types that do not follow `<doc>position` (docs/moysklad.md#documents).
_ODD_POSITION_TYPES = {"retaildemand": "demandposition", "retailsalesreturn": "salesreturnposition"}
POSITION_TYPES = {doc: _ODD_POSITION_TYPES.get(doc, f"{doc}position") for doc in DOCUMENT_KINDS}
# `fields=stock` gives the cost at the document moment for these; for orders it is today's cost
# (docs/moysklad.md, "Documents").
COST_AT_MOMENT = frozenset({"demand", "retaildemand", "salesreturn", "retailsalesreturn", "supply"})
# The document a document is based on: a return's shipment, a shipment's order, a supply's purchase order.
BASE_DOCUMENT = {
    "salesreturn": "demand",
    "retailsalesreturn": "demand",  # the retail sale it returns (a retaildemand)
    "demand": "customerOrder",
    "retaildemand": "customerOrder",
    "supply": "purchaseOrder",
}
ASSORTMENT_KINDS = {kind.value: kind for kind in m.AssortmentKind}
SUM_UNIT = Decimal("0.0001")  # hundredths of a kopeck, in roubles
KOPECK_UNIT = Decimal("0.01")
HUNDRED = Decimal(100)


def document_type(obj: dict[str, Any]) -> str:
    kind = ref_type(obj)
    if kind not in DOCUMENT_KINDS:
        raise Unmappable(f"not a synced document type: meta.type={kind!r}")
    return kind


def event_type(doc_type: str, change: str) -> str:
    return f"{DOCUMENT_KINDS[doc_type].value}.{change}"


def position_rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The inlined positions; ``Unmappable`` unless every position is there."""
    positions = obj.get("positions")
    if not isinstance(positions, dict):
        raise Unmappable("document without positions")
    rows = positions.get("rows")
    size = (positions.get("meta") or {}).get("size", 0)
    if rows is None:
        if size:
            raise Unmappable("document positions were not expanded")
        return []
    if len(rows) < size:
        raise Unmappable(f"only {len(rows)} of {size} positions were read")
    return list(rows)


def line_amount(quantity: Decimal, price_kopecks: Decimal, discount: Decimal) -> Decimal:
    """``quantity × price × (1 − discount/100)`` in roubles, rounded half-up to hundredths of a kopeck."""
    kopecks = quantity * price_kopecks * (HUNDRED - discount) / HUNDRED
    return kopecks.quantize(KOPECK_UNIT, rounding=ROUND_HALF_UP).scaleb(-2)


def reconcile(amounts: list[Decimal], exact: list[Decimal], total: Decimal) -> list[Decimal]:
    """Make ``amounts`` add up to ``total`` when they miss it by at most one rounding unit per position."""
    diff = total - sum(amounts, Decimal(0))
    steps = int((diff / SUM_UNIT).to_integral_value())
    if diff == 0 or steps * SUM_UNIT != diff or abs(steps) > len(amounts):
        return amounts
    step = SUM_UNIT if steps > 0 else -SUM_UNIT
    # The positions whose rounding went furthest the wrong way give up (or take) one unit each.
    order = sorted(range(len(amounts)), key=lambda i: (amounts[i] - exact[i]) * (1 if steps < 0 else -1), reverse=True)
    adjusted = list(amounts)
    for index in order[: abs(steps)]:
        adjusted[index] += step
    return adjusted


def map_position(row: dict[str, Any], lookups: Lookups, with_cost: bool) -> tuple[dict[str, Any], Decimal]:
    """One position's canonical fields, and its exact (unrounded) amount in roubles."""
    assortment = row.get("assortment")
    kind = ASSORTMENT_KINDS.get(ref_type(assortment) or "")
    assortment_id = ref_id(assortment)
    if kind is None or assortment_id is None:
        raise Unmappable(f"position {row.get('id')!r} has no product, variant, service or bundle")
    product_id = assortment_id
    if kind is m.AssortmentKind.VARIANT:
        parent = lookups.variant_products.get(assortment_id) or ref_id((assortment or {}).get("product"))
        if parent is None:
            raise Unmappable(f"variant {assortment_id} of position {row.get('id')!r} has no known product")
        product_id = parent
    quantity = decimal(required(row, "quantity"))
    price = decimal(row.get("price", 0))
    discount = decimal(row.get("discount") or 0)
    fields = {
        "id": required(row, "id"),
        "assortment_id": assortment_id,
        "assortment_kind": kind,
        "product_id": product_id,
        "quantity": quantity,
        "price": price.scaleb(-2),
        "discount_percent": discount,
        "vat_percent": decimal(row.get("vat") or 0),
        "amount": line_amount(quantity, price, discount),
        "cost": _unit_cost(row) if with_cost else None,
    }
    return fields, (quantity * price * (HUNDRED - discount) / HUNDRED).scaleb(-2)


def _unit_cost(row: dict[str, Any]) -> Decimal | None:
    """``stock.cost`` (``fields=stock``), else the position's own ``cost`` (services in shipments), in roubles."""
    stock = row.get("stock")
    if isinstance(stock, dict) and stock.get("cost") is not None:
        return roubles(stock["cost"])
    return None if row.get("cost") is None else roubles(row["cost"])


def map_document(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    doc_type = document_type(obj)
    total = roubles(required(obj, "sum"))
    mapped = [map_position(row, lookups, doc_type in COST_AT_MOMENT) for row in position_rows(obj)]
    amounts = reconcile([f["amount"] for f, _ in mapped], [exact for _, exact in mapped], total)
    positions = [validated(m.Position, **{**f, "amount": a}) for (f, _), a in zip(mapped, amounts, strict=True)]
    base = BASE_DOCUMENT.get(doc_type)
    payload = validated(
        m.Document,
        id=required(obj, "id"),
        kind=DOCUMENT_KINDS[doc_type],
        number=str(required(obj, "name")),
        moment=parse_moment(required(obj, "moment")),
        applicable=bool(obj.get("applicable", False)),
        state=_state_name(obj.get("state")),
        organization_id=ref_id(obj.get("organization")),
        counterparty_id=ref_id(obj.get("agent")),
        store_id=ref_id(obj.get("store")),
        currency=lookups.currency((obj.get("rate") or {}).get("currency")),
        vat_enabled=bool(obj.get("vatEnabled", False)),
        vat_included=bool(obj.get("vatIncluded", True)),
        total=total,
        positions=positions,
        base_document_id=ref_id(obj.get(base)) if base else None,
        created_at=optional_moment(obj.get("created")),
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event(event_type(doc_type, "upserted"), obj, payload)


def _state_name(state: Any) -> str | None:
    """The status name; needs ``expand=state`` (a bare reference carries no name)."""
    if not isinstance(state, dict):
        return None
    return empty_to_none(state.get("name"))


def map_trashed_document(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    """A document in the recycle bin (``isDeleted=true``) → ``<kind>.deleted``.

    Its version is the later of ``updated`` and the end of the ``deleted`` second (like an audit delete), so it
    orders after every version of the live document.
    """
    doc_type = document_type(obj)
    updated = parse_moment(required(obj, "updated"))
    deleted = optional_moment(obj.get("deleted"))
    version = version_of(updated)
    if deleted is not None:
        version = max(version, version_of(deleted) + 999_999)
    moment = max(updated, deleted or updated)
    payload = m.Deleted(id=str(required(obj, "id")), deleted_at=moment)
    return build_event(event_type(doc_type, "deleted"), obj, payload, moment=moment, version=version)

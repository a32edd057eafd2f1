"""Document types, their position types, and the compact position record.

Positions are the bulk of the data (up to ~1M), so they are slotted objects rather than dicts.
"""

from __future__ import annotations

from typing import Any

from moysklad_simulator.model import Ref

# document type → position meta type (docs/moysklad.md#documents: retaildemand positions are `demandposition`,
# retailsalesreturn positions are `salesreturnposition`)
POSITION_TYPES = {
    "customerorder": "customerorderposition",
    "demand": "demandposition",
    "retaildemand": "demandposition",
    "salesreturn": "salesreturnposition",
    "retailsalesreturn": "salesreturnposition",
    "supply": "supplyposition",
    "purchaseorder": "purchaseorderposition",
}
DOCUMENT_TYPES = tuple(POSITION_TYPES)
# `fields=stock` is computed at the document moment for these, and is current for orders
# (docs/moysklad.md, "Documents").
STOCK_AT_MOMENT = frozenset({"demand", "retaildemand", "salesreturn", "retailsalesreturn", "supply"})
SALES = frozenset({"demand", "retaildemand"})

STATES: dict[str, tuple[tuple[str, int, str], ...]] = {
    "customerorder": (
        ("Новый", 15106326, "Regular"),
        ("Подтвержден", 40931, "Regular"),
        ("Отгружен", 8825440, "Successful"),
        ("Отменен", 10774205, "Unsuccessful"),
    ),
    "purchaseorder": (
        ("Новый", 15106326, "Regular"),
        ("Подтвержден", 40931, "Regular"),
        ("Принят", 8825440, "Successful"),
    ),
}


class Position:
    """One document line. ``cost`` is the unit cost at the document moment (kopecks); ``stock`` is the
    store balance right after the document, for ``fields=stock``."""

    __slots__ = ("assortment", "cost", "discount", "id", "price", "quantity", "reserve", "shipped", "stock", "vat")

    def __init__(
        self, position_id: str, assortment: Ref, quantity: float, price: float, discount: float, vat: int
    ) -> None:
        self.id = position_id
        self.assortment = assortment
        self.quantity = quantity
        self.price = price
        self.discount = discount
        self.vat = vat
        self.cost = 0.0
        self.stock = 0.0
        self.reserve = 0.0
        self.shipped = 0.0

    @property
    def total(self) -> float:
        """Line sum in kopecks after discount."""
        return round(self.price * self.quantity * (1 - self.discount / 100), 2)


def position_record(doc_type: str, doc: dict[str, Any], pos: Position, account_id: str) -> dict[str, Any]:
    """A position as a renderable record, with the fields its type has."""
    pos_type = POSITION_TYPES[doc_type]
    record: dict[str, Any] = {
        "_ref": Ref(pos_type, pos.id, f"entity/{doc_type}/{doc['id']}/positions/{pos.id}"),
        "id": pos.id,
        "accountId": account_id,
        "quantity": pos.quantity,
        "price": pos.price,
        "discount": pos.discount,
        "vat": pos.vat,
        "vatEnabled": pos.vat > 0,
        "assortment": pos.assortment,
    }
    if doc_type == "customerorder":
        record.update(shipped=pos.shipped, reserve=pos.reserve)
    elif doc_type == "purchaseorder":
        record.update(shipped=pos.shipped, inTransit=max(pos.quantity - pos.shipped, 0.0), wait=False)
    elif doc_type in ("supply", "demand"):
        record["overhead"] = 0  # an integer in the spec (supplyPosition/demandPosition.yaml)
    if doc_type in ("demand", "retaildemand", "salesreturn", "retailsalesreturn") and pos.assortment.type == "service":
        record["cost"] = round(pos.cost)  # a service's cost is entered on the position (an Int in the spec)
    return record


def position_vat(pos: Position, vat_included: bool) -> float:
    """The VAT in the line (``vatIncluded``) or on top of it (docs/moysklad.md, "Money")."""
    return pos.total * pos.vat / ((100 + pos.vat) if vat_included else 100)


def line_sum(pos: Position, vat_included: bool) -> float:
    """What the line adds to the document ``sum``: VAT not included in prices is added on top."""
    return pos.total if vat_included else round(pos.total + position_vat(pos, False), 2)


def document_sums(positions: list[Position], vat_included: bool = True) -> tuple[float, float]:
    """(sum, vatSum) of a document whose prices include VAT or not."""
    total = sum(line_sum(p, vat_included) for p in positions)
    vat = sum(position_vat(p, vat_included) for p in positions)
    return round(total, 2), round(vat, 2)

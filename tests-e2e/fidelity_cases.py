"""The MoySklad cases the simulator generates on purpose (issue 13), found in its raw data, and what each should add
up to, computed here from the documents alone: not from the simulator's reports or its stock ledger.

docs/moysklad.md, "Cases the simulator generates", says how each case counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from moysklad_simulator import SimulatorState

SALES, RETURNS = ("demand", "retaildemand"), ("salesreturn", "retailsalesreturn")
STOCK_MOVES = (("supply", 1), ("salesreturn", 1), ("retailsalesreturn", 1), ("demand", -1), ("retaildemand", -1))
Doc = dict[str, Any]


def counted(doc: Doc) -> bool:
    """Posted and not in the recycle bin: what moves money and stock in MoySklad."""
    return bool(doc["applicable"]) and not doc.get("_trashed")


def line_revenue(doc: Doc, position: Any) -> float:
    """Kopecks the buyer pays for a line: price × quantity less the discount, plus VAT when prices exclude it."""
    net = position.price * position.quantity * (1 - position.discount / 100)
    return float(net if doc["vatIncluded"] else net * (1 + position.vat / 100))


def _sells(kind: str) -> Callable[[Doc], bool]:
    return lambda d: any(p.assortment.type == kind for p in d["_positions"])


def case_documents(state: SimulatorState) -> dict[str, list[Doc]]:
    """Case name → the sales that make it up (each list must be non-empty, or the case goes unchecked)."""
    sales = [d for t in SALES for d in state.records(t)]
    restored = {c.events[0].entity.id for c in state.audit if c.events[0].event_type == "restorefromrecyclebin"}
    rules: dict[str, Callable[[Doc], bool]] = {
        "draft": lambda d: not d["applicable"],
        "in the recycle bin": lambda d: bool(d.get("_trashed")),
        "restored from the bin": lambda d: d["id"] in restored and counted(d),
        "service sold": _sells("service"),
        "bundle sold": _sells("bundle"),
        "position discount": lambda d: counted(d) and any(p.discount for p in d["_positions"]),
        "prices without VAT": lambda d: not d["vatIncluded"],
        "summer 2010 (UTC+4)": lambda d: "2010-04" <= d["moment"][:7] <= "2010-10",
        "2012 (UTC+4 all year)": lambda d: d["moment"][:4] == "2012",
        "after 2014-10-26 (UTC+3)": lambda d: "2014-10-26" <= d["moment"][:10] < "2015",
    }
    return {name: [d for d in sales if rule(d)] for name, rule in rules.items()}


def year_of(doc: Doc, last_day: date) -> tuple[date, date]:
    """The calendar year of a document (cut at the history's last day): one report period per year."""
    year = int(doc["moment"][:4])
    return date(year, 1, 1), min(date(year, 12, 31), last_day)


def revenue_per_day(state: SimulatorState, start: date, end: date) -> dict[str, float]:
    """Counted sales minus returns per Moscow day (the day of the document's Moscow wall-clock ``moment``)."""
    revenue: dict[str, float] = defaultdict(float)
    for doc_types, sign in ((SALES, 1), (RETURNS, -1)):
        for doc in (d for t in doc_types for d in state.records(t)):
            day = doc["moment"][:10]
            if counted(doc) and str(start) <= day <= str(end):
                revenue[day] += sign * sum(line_revenue(doc, p) for p in doc["_positions"])
    return revenue


def profit_per_item(state: SimulatorState, start: date, end: date) -> dict[str, float]:
    """Counted (revenue − cost × quantity) per item, returns subtracted; a position's cost is its unit cost."""
    profit: dict[str, float] = defaultdict(float)
    for doc_types, sign in ((SALES, 1), (RETURNS, -1)):
        for doc in (d for t in doc_types for d in state.records(t)):
            if counted(doc) and str(start) <= doc["moment"][:10] <= str(end):
                for p in doc["_positions"]:
                    profit[p.assortment.id] += sign * (line_revenue(doc, p) - p.cost * p.quantity)
    return profit


def replayed_stock(state: SimulatorState) -> dict[tuple[str, str], float]:
    """(store, item) → stock replayed from counted documents: services hold none, bundles move their components."""
    stock: dict[tuple[str, str], float] = defaultdict(float)
    for doc_type, sign in STOCK_MOVES:
        for doc in (d for d in state.records(doc_type) if counted(d)):
            for p in doc["_positions"]:
                for item_id, quantity in _stock_items(state, p):
                    stock[(doc["store"].id, item_id)] += sign * quantity
    return {key: round(value, 3) for key, value in stock.items()}


def _stock_items(state: SimulatorState, position: Any) -> list[tuple[str, float]]:
    kind = position.assortment.type
    if kind == "service":
        return []
    if kind == "bundle":
        bundle = state.find(position.assortment) or {}
        parts = bundle["components"].materialize()
        return [(part["assortment"].id, part["quantity"] * position.quantity) for part in parts]
    return [(position.assortment.id, position.quantity)]

"""Amount-level figures to compare runs with: revenue per business day, revenue per product, stock per store.

Three sources give the same shape, so any two can be compared: the simulator's own documents and stock ledger
(generated again from the same seed), the services' tables (a ``Snapshot``), and the public API through the gateway.
Every comparison first checks that both sides hold figures: two empty reports are equal and prove nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fidelity_cases import counted, line_revenue
from oracle import Snapshot

from moysklad_simulator import SimulatorState

KOPECK = Decimal("0.01")
SALES, RETURNS = ("demand", "retaildemand"), ("salesreturn", "retailsalesreturn")
# The simulator's history (anchor 2026-01-15) fits in this period, and it is shorter than ANALYTICS_MAX_REPORT_DAYS.
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 1, 14)

Figures = dict[str, Decimal]


@dataclass(frozen=True)
class Amounts:
    revenue_per_day: Figures
    revenue_per_product: Figures
    stock_per_store: Figures

    def parts(self) -> dict[str, Figures]:
        return {
            "revenue per day": self.revenue_per_day,
            "revenue per product": self.revenue_per_product,
            "stock per store": self.stock_per_store,
        }


def _nonzero(sums: dict[str, Decimal], quantum: Decimal) -> Figures:
    return {k: v.quantize(quantum, rounding=ROUND_HALF_UP) for k, v in sums.items() if v.quantize(quantum)}


def _in_period(day: str) -> bool:
    return str(FIRST_DAY) <= day <= str(LAST_DAY)


def revenue_by(state: SimulatorState, *keys: Callable[[str, Any], str]) -> list[Figures]:
    """Posted sales minus returns (MoySklad's revenue: VAT on top included) in the period, summed line by line under
    each ``key(moscow_day, position)``, rounded once at the end. Drafts and documents in the bin count nowhere."""
    sums: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in keys]
    for doc_types, sign in ((SALES, 1), (RETURNS, -1)):
        for doc in (d for t in doc_types for d in state.records(t)):
            day = doc["moment"][:10]
            if not counted(doc) or not _in_period(day):
                continue
            for position in doc["_positions"]:
                kopecks = Decimal(str(round(line_revenue(doc, position), 2))) * sign / 100
                for key, figures in zip(keys, sums, strict=True):
                    figures[key(day, position)] += kopecks
    return [_nonzero(figures, KOPECK) for figures in sums]


def from_simulator(state: SimulatorState) -> Amounts:
    """Revenue by Moscow day and by item (``revenue_by``); the stock ledger by store."""
    per_day, per_product = revenue_by(state, lambda day, _: day, lambda _, position: position.assortment.id)
    stock: dict[str, Decimal] = defaultdict(Decimal)
    for (store_id, _), quantity in state.ledger.stock.items():
        stock[store_id] += Decimal(str(round(quantity, 3)))
    return Amounts(per_day, per_product, _nonzero(stock, Decimal("0.001")))


def from_snapshot(snapshot: Snapshot) -> Amounts:
    """The same figures from the rows of ``analytics.sales_facts`` and ``inventory.stock``."""
    facts = [json.loads(row) for row in snapshot.rows["analytics.sales_facts"]]
    stock_rows = [json.loads(row) for row in snapshot.rows["inventory.stock"]]
    return Amounts(
        _sum(((f["business_day"], f["revenue"]) for f in facts if _in_period(f["business_day"])), KOPECK),
        _sum(((f["assortment_id"], f["revenue"]) for f in facts if _in_period(f["business_day"])), KOPECK),
        _sum(((s["store_id"], s["stock"]) for s in stock_rows), Decimal("0.001")),
    )


def from_api(get: Callable[..., Any]) -> Amounts:
    """The same figures as the public API serves them (``get(path, **params)`` returns the JSON of a 200)."""
    period = {"period": "custom", "date_from": str(FIRST_DAY), "date_to": str(LAST_DAY), "limit": 5000}
    by_day = get("/api/v1/analytics/sales/report", group_by_time="day", group_by="none", **period)
    by_product = get("/api/v1/analytics/sales/report", group_by_time="none", group_by="product", **period)
    stock: list[tuple[str, Any]] = []  # per store, as the inventory sums the stock list (tested against the list)
    while True:
        page = get("/api/v1/inventory/stock/by-store", limit=500, offset=len(stock))
        stock += [(row["store_id"], row["stock"]) for row in page["items"]]
        if len(stock) >= page["total"] or not page["items"]:
            break
    return Amounts(
        _sum(((row["bucket"], row["revenue"]) for row in by_day["rows"]), KOPECK),
        _sum(((row["key"], row["revenue"]) for row in by_product["rows"]), KOPECK),
        _sum(stock, Decimal("0.001")),
    )


def _sum(pairs: Iterable[tuple[str, Any]], quantum: Decimal) -> Figures:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for key, value in pairs:
        sums[str(key)] += Decimal(str(value))
    return _nonzero(sums, quantum)


def differences(actual: Amounts, expected: Amounts, *, tolerance: Decimal = KOPECK) -> list[str]:
    """What differs, part by part; an empty side is a difference of its own (the guard against comparing nothing)."""
    problems = []
    for (name, mine), theirs in zip(actual.parts().items(), expected.parts().values(), strict=True):
        if not mine or not theirs:
            problems.append(f"{name}: nothing to compare ({len(mine)} figures vs {len(theirs)} expected)")
            continue
        wrong = [
            (k, mine.get(k), theirs.get(k))
            for k in sorted(set(mine) | set(theirs))
            if mine.get(k) is None or theirs.get(k) is None or abs(mine[k] - theirs[k]) > tolerance
        ]
        if wrong:
            problems.append(f"{name}: {len(wrong)} of {len(theirs)} differ, e.g. {wrong[:5]}")
    return problems

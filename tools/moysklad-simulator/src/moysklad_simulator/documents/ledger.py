"""Stock and cost bookkeeping shared by the history generator, live mode and the reports.

Cost method: one moving weighted average per item across all stores, updated by every supply
(MoySklad's "средняя" method, simplified: no per-store averages, no retroactive recalculation).
"""

from __future__ import annotations

from collections import defaultdict

from moysklad_simulator.model import Ref

StockKey = tuple[str, str]  # (store id, assortment id)


class Ledger:
    """Current balances per store and item, average unit costs, reserves and goods in transit."""

    def __init__(self) -> None:
        self.stock: dict[StockKey, float] = defaultdict(float)
        self.reserve: dict[StockKey, float] = defaultdict(float)
        self.in_transit: dict[StockKey, float] = defaultdict(float)
        self.cost: dict[str, float] = {}
        self.total: dict[str, float] = defaultdict(float)
        self.items: dict[str, Ref] = {}
        self.changed: dict[StockKey, str] = {}
        self.last_receipt: dict[str, str] = {}

    def receive(self, store: str, item: Ref, quantity: float, unit_price: float, moment: str) -> float:
        """Goods in (supply, return); ``unit_price`` < 0 keeps the current average. Returns the new balance."""
        held = max(self.total[item.id], 0.0)
        if unit_price >= 0:
            old = self.cost.get(item.id, unit_price)
            self.cost[item.id] = round((held * old + quantity * unit_price) / (held + quantity), 2)
            self.last_receipt[item.id] = moment
        self._move(store, item, quantity, moment)
        return self.stock[(store, item.id)]

    def issue(self, store: str, item: Ref, quantity: float, moment: str) -> tuple[float, float]:
        """Goods out (sale). Returns (unit cost, new balance)."""
        self._move(store, item, -quantity, moment)
        return self.cost.get(item.id, 0.0), self.stock[(store, item.id)]

    def adjust(self, store: str, item: Ref, delta: float, moment: str) -> None:
        """Stock in (+) or out (−) at the current cost, e.g. a document leaving or leaving the recycle bin."""
        self._move(store, item, delta, moment)

    def _move(self, store: str, item: Ref, delta: float, moment: str) -> None:
        key = (store, item.id)
        self.stock[key] = round(self.stock[key] + delta, 3)
        self.total[item.id] = round(self.total[item.id] + delta, 3)
        self.items[item.id] = item
        self.changed[key] = moment

    def add_reserve(self, store: str, item: Ref, quantity: float, moment: str) -> None:
        key = (store, item.id)
        self.reserve[key] = round(self.reserve[key] + quantity, 3)
        self.items[item.id] = item
        self.changed[key] = moment

    def add_in_transit(self, store: str, item: Ref, quantity: float, moment: str) -> None:
        key = (store, item.id)
        self.in_transit[key] = round(self.in_transit[key] + quantity, 3)
        self.items[item.id] = item
        self.changed[key] = moment

    def available(self, store: str, item_id: str) -> float:
        key = (store, item_id)
        return self.stock.get(key, 0.0) - self.reserve.get(key, 0.0)

    def touched(self) -> set[StockKey]:
        """Every (store, item) that ever moved, was reserved or is in transit."""
        return set(self.stock) | set(self.reserve) | set(self.in_transit)

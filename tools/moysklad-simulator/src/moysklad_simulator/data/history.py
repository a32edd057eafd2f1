"""Generate months of trading history: supplies, retail sales, customer orders with shipments, returns.

Everything goes through the :class:`~moysklad_simulator.documents.ledger.Ledger` in time order, so
stock reports, ``fields=stock`` and the profit report agree with the documents.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moysklad_simulator.data.common import record
from moysklad_simulator.documents.factory import install_states, new_document, new_position, state_ref
from moysklad_simulator.documents.model import Position
from moysklad_simulator.model import Ref
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_ms

# Monthly demand factor, January..December: a December peak, a January lull.
SEASON = (0.7, 0.8, 0.95, 0.9, 0.95, 0.9, 0.85, 0.9, 1.0, 1.05, 1.2, 1.6)
WEEKDAY = (0.9, 0.9, 0.95, 1.0, 1.15, 1.3, 1.2)
REORDER_BELOW = 3.0
RETURN_SHARE = 0.025
CANCEL_SHARE = 0.05


@dataclass(frozen=True)
class Item:
    """Something that can be stocked and sold."""

    ref: Ref
    price: float
    wholesale: float
    buy: float
    vat: int
    weighed: bool


class History:
    """Day-by-day simulation of the shop's trading."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.rng = state.rng
        self.items = _sellable(state)
        stores = [s["_ref"] for s in state.records("store")]
        self.warehouse = stores[0]
        self.shops = [s for i, s in enumerate(stores) if i in (1, 2, 4)] or stores[:1]
        self.online = stores[3] if len(stores) > 3 else stores[0]
        self.retail_points = {r["store"].id: r["_ref"] for r in state.records("retailstore")}
        parties = state.records("counterparty")
        self.suppliers = [c["_ref"] for c in parties if "поставщики" in c.get("tags", ())] or [parties[0]["_ref"]]
        self.buyers = [
            c["_ref"] for c in parties if "поставщики" not in c.get("tags", ()) and c["id"] != state.retail_customer_id
        ]
        self.shipments: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.arrivals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.returns: dict[int, list[tuple[dict[str, Any], str]]] = defaultdict(list)
        self.reorder: dict[str, set[int]] = defaultdict(set)
        self.sales_amount: dict[str, float] = defaultdict(float)
        self.day = 0

    # --- calendar -----------------------------------------------------------------------------
    def run(self, start: datetime, days: int, docs_per_month: int) -> None:
        self.opening_stock(start - timedelta(days=1))
        for day in range(days):
            self.day = day
            date = start + timedelta(days=day)
            factor = SEASON[date.month - 1] * WEEKDAY[date.weekday()]
            count = self._poisson(docs_per_month / 30 * factor)
            for doc in self.arrivals.pop(day, []):
                self.receive_order(doc, date)
            for doc in self.shipments.pop(day, []):
                self.ship_order(doc, date)
            for _ in range(math.ceil(count * 0.6)):
                self.retail_sale(date, day)
            for _ in range(count - math.ceil(count * 0.6)):
                self.customer_order(date, day)
            for sale, store in self.returns.pop(day, []):
                self.sales_return(sale, store, date)
            if day % 7 == 6:
                self.replenish(date, day)
        self._finish()

    def _poisson(self, mean: float) -> int:
        return max(0, round(self.rng.gauss(mean, math.sqrt(max(mean, 1.0)))))

    def _at(self, date: datetime, first_hour: int = 9, last_hour: int = 21) -> tuple[datetime, datetime]:
        """A document moment (minute precision) and its creation time a few seconds later."""
        moment = date.replace(hour=self.rng.randrange(first_hour, last_hour), minute=self.rng.randrange(60))
        created = moment + timedelta(seconds=self.rng.randrange(5, 300), milliseconds=self.rng.randrange(1000))
        return moment, created

    # --- goods in -----------------------------------------------------------------------------
    def opening_stock(self, date: datetime) -> None:
        """One supply per store with the opening balances (the warehouse carries everything)."""
        for store in [self.warehouse, *self.shops, self.online]:
            share = 1.0 if store == self.warehouse else 0.5
            picked = [i for i, _ in enumerate(self.items) if self.rng.random() < share]
            if picked:
                self._supply(store, picked, date, opening=True)

    def _supply(
        self,
        store: Ref,
        indices: list[int],
        date: datetime,
        *,
        opening: bool = False,
        order: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        moment, created = self._at(date, 8, 12)
        positions = []
        for index in indices:
            item = self.items[index]
            quantity = self._quantity(item, 40 if opening else 25, low=5)
            price = float(round(item.buy * self.rng.uniform(0.95, 1.08)))
            position = new_position(self.state, item.ref, quantity, price, 0.0, item.vat)
            position.stock = self.state.ledger.receive(store.id, item.ref, quantity, price, fmt_ms(moment))
            positions.append(position)
        extra: dict[str, Any] = {
            "incomingNumber": f"ВХ-{self.rng.randrange(1000, 99999)}",
            "incomingDate": fmt_ms(moment.replace(hour=0, minute=0)),
        }
        if order is not None:
            extra["purchaseOrder"] = order["_ref"]
        return new_document(
            self.state,
            "supply",
            moment,
            created,
            agent=self.rng.choice(self.suppliers),
            store=store,
            positions=positions,
            payedSum=0.0,
            **extra,
        )

    def replenish(self, date: datetime, day: int) -> None:
        """Weekly: a purchase order per store for what ran low; the supply arrives 2–5 days later."""
        for store_id, indices in list(self.reorder.items()):
            if not indices:
                continue
            store = Ref("store", store_id)
            moment, created = self._at(date, 9, 11)
            positions = []
            for index in sorted(indices):
                item = self.items[index]
                quantity = self._quantity(item, 30, low=10)
                positions.append(new_position(self.state, item.ref, quantity, item.buy, 0.0, item.vat))
                self.state.ledger.add_in_transit(store_id, item.ref, quantity, fmt_ms(moment))
            order = new_document(
                self.state,
                "purchaseorder",
                moment,
                created,
                agent=self.rng.choice(self.suppliers),
                store=store,
                positions=positions,
                state=state_ref(self.state, "purchaseorder", "Подтвержден"),
                payedSum=0.0,
                shippedSum=0.0,
                invoicedSum=0.0,
                deliveryPlannedMoment=fmt_ms(moment + timedelta(days=4)),
            )
            order["_indices"] = sorted(indices)
            self.arrivals[day + self.rng.randrange(2, 6)].append(order)
            indices.clear()

    def receive_order(self, order: dict[str, Any], date: datetime) -> None:
        store = order["store"]
        supply = self._supply(store, order.pop("_indices"), date, order=order)
        for position in order["_positions"]:
            position.shipped = position.quantity
            self.state.ledger.add_in_transit(store.id, position.assortment, -position.quantity, supply["updated"])
        order.update(
            state=state_ref(self.state, "purchaseorder", "Принят"), shippedSum=order["sum"], updated=supply["updated"]
        )
        order.setdefault("supplies", []).append(supply["_ref"])

    # --- goods out ----------------------------------------------------------------------------
    def _lines(self, store: Ref, wholesale: bool) -> list[tuple[Item, int, float]]:
        """Pick 1–5 distinct items available at ``store`` with quantities."""
        lines: list[tuple[Item, int, float]] = []
        taken: set[int] = set()
        for _ in range(self.rng.choice((1, 1, 2, 2, 3, 4, 5))):
            for _attempt in range(6):
                index = self.rng.randrange(len(self.items))
                item = self.items[index]
                quantity = self._quantity(item, 10 if wholesale else 2, low=1)
                if index not in taken and self.state.ledger.available(store.id, item.ref.id) >= quantity:
                    lines.append((item, index, quantity))
                    taken.add(index)
                    break
        return lines

    def _quantity(self, item: Item, high: int, low: int) -> float:
        if item.weighed:
            return round(self.rng.uniform(0.2, high / 2), 3)
        return float(self.rng.randrange(low, max(low, high) + 1))

    def _issue(self, store: Ref, positions: list[Position], index_of: dict[str, int], moment: str) -> None:
        for position in positions:
            if position.assortment.type == "service":
                continue
            position.cost, position.stock = self.state.ledger.issue(
                store.id, position.assortment, position.quantity, moment
            )
            if position.stock < REORDER_BELOW:
                self.reorder[store.id].add(index_of[position.assortment.id])

    def retail_sale(self, date: datetime, day: int) -> None:
        store = self.rng.choice(self.shops)
        lines = self._lines(store, wholesale=False)
        if not lines:
            return
        moment, created = self._at(date, 10, 22)
        positions = [
            new_position(self.state, item.ref, qty, item.price, self.rng.choice((0.0, 0.0, 0.0, 5.0)), item.vat)
            for item, _, qty in lines
        ]
        self._issue(store, positions, {item.ref.id: i for item, i, _ in lines}, fmt_ms(moment))
        customer = Ref("counterparty", self.state.retail_customer_id)
        doc = new_document(
            self.state,
            "retaildemand",
            moment,
            created,
            agent=customer,
            store=store,
            positions=positions,
            **self._retail_extra(store, date),
        )
        cash = round(doc["sum"] * self.rng.choice((0.0, 1.0, 1.0)), 2)
        doc.update(cashSum=cash, noCashSum=round(doc["sum"] - cash, 2), payedSum=doc["sum"])
        self._maybe_return(doc, store, day)

    def _retail_extra(self, store: Ref, date: datetime) -> dict[str, Any]:
        shift_id = f"{store.id[:24]}{date:%y%m%d}{store.id[30:]}"
        point = self.retail_points.get(store.id)
        extra: dict[str, Any] = {"retailShift": Ref("retailshift", shift_id)}
        if point is not None:
            extra["retailStore"] = point
        extra.update(
            cashSum=0.0,
            noCashSum=0.0,
            qrSum=0.0,
            prepaymentCashSum=0.0,
            prepaymentNoCashSum=0.0,
            prepaymentQrSum=0.0,
            taxSystem="GENERAL_TAX_SYSTEM",
        )
        return extra

    def customer_order(self, date: datetime, day: int) -> None:
        store = self.rng.choice((self.warehouse, self.online))
        lines = self._lines(store, wholesale=True)
        if not lines or not self.buyers:
            return
        moment, created = self._at(date)
        positions = []
        for item, _, qty in lines:
            position = new_position(self.state, item.ref, qty, item.wholesale, 0.0, item.vat)
            position.reserve = qty
            self.state.ledger.add_reserve(store.id, item.ref, qty, fmt_ms(moment))
            positions.append(position)
        order = new_document(
            self.state,
            "customerorder",
            moment,
            created,
            agent=self.rng.choice(self.buyers),
            store=store,
            positions=positions,
            state=state_ref(self.state, "customerorder", "Подтвержден"),
            payedSum=0.0,
            shippedSum=0.0,
            invoicedSum=0.0,
            reservedSum=0.0,
            deliveryPlannedMoment=fmt_ms(moment + timedelta(days=2)),
        )
        order["reservedSum"] = order["sum"]
        order["_indices"] = {item.ref.id: i for item, i, _ in lines}
        self.shipments[day + self.rng.randrange(1, 4)].append(order)

    def ship_order(self, order: dict[str, Any], date: datetime) -> None:
        """Ship (or, rarely, cancel) an order: the reserve is released either way."""
        store: Ref = order["store"]
        stamp = fmt_ms(date.replace(hour=8))
        for position in order["_positions"]:
            self.state.ledger.add_reserve(store.id, position.assortment, -position.reserve, stamp)
            position.reserve = 0.0
        index_of = order.pop("_indices")
        if self.rng.random() < CANCEL_SHARE:
            order.update(state=state_ref(self.state, "customerorder", "Отменен"), reservedSum=0.0, updated=stamp)
            return
        moment, created = self._at(date, 10, 18)
        positions = [
            new_position(self.state, p.assortment, p.quantity, p.price, p.discount, p.vat) for p in order["_positions"]
        ]
        self._issue(store, positions, index_of, fmt_ms(moment))
        demand = new_document(
            self.state,
            "demand",
            moment,
            created,
            agent=order["agent"],
            store=store,
            positions=positions,
            payedSum=0.0,
            customerOrder=order["_ref"],
        )
        for position in order["_positions"]:
            position.shipped = position.quantity
        order.update(
            state=state_ref(self.state, "customerorder", "Отгружен"),
            shippedSum=order["sum"],
            reservedSum=0.0,
            updated=demand["updated"],
            demands=[demand["_ref"]],
        )
        self.sales_amount[order["agent"].id] += demand["sum"]
        self._maybe_return(demand, store, self.day)

    def _maybe_return(self, sale: dict[str, Any], store: Ref, day: int) -> None:
        goods = [p for p in sale["_positions"] if p.assortment.type != "service"]
        if goods and self.rng.random() < RETURN_SHARE:
            self.returns[day + self.rng.randrange(1, 15)].append((sale, store.id))

    def sales_return(self, sale: dict[str, Any], store_id: str, date: datetime) -> None:
        source = self.rng.choice([p for p in sale["_positions"] if p.assortment.type != "service"])
        moment, created = self._at(date, 10, 20)
        quantity = source.quantity if source.quantity <= 1 else float(self.rng.randrange(1, int(source.quantity) + 1))
        position = new_position(self.state, source.assortment, quantity, source.price, source.discount, source.vat)
        position.cost = source.cost
        position.stock = self.state.ledger.receive(store_id, source.assortment, quantity, source.cost, fmt_ms(moment))
        # A return at the till is a retailsalesreturn of its retail sale; a shipment's return is a salesreturn.
        doc_type = "retailsalesreturn" if sale["_ref"].type == "retaildemand" else "salesreturn"
        extra: dict[str, Any] = {"demand": sale["_ref"]}
        if doc_type == "retailsalesreturn":
            extra.update(self._retail_extra(Ref("store", store_id), date))
        returned = new_document(
            self.state,
            doc_type,
            moment,
            created,
            agent=sale["agent"],
            store=Ref("store", store_id),
            positions=[position],
            **extra,
        )
        if doc_type == "retailsalesreturn":
            returned["cashSum"] = returned["sum"]  # paid back in cash at the till

    def _finish(self) -> None:
        """Orders still scheduled after the anchor stay open (reserve / in transit)."""
        for orders in self.shipments.values():
            for order in orders:
                order.pop("_indices", None)
        for orders in self.arrivals.values():
            for order in orders:
                order.pop("_indices", None)
        for agent_id, amount in self.sales_amount.items():
            party = self.state.get("counterparty", agent_id)
            if party is not None:
                party["salesAmount"] = round(amount, 2)


def _sellable(state: SimulatorState) -> list[Item]:
    """Products without variants, and variants: the things stock is kept for."""
    items: list[Item] = []
    by_product: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for variant in state.records("variant"):
        by_product[variant["product"].id].append(variant)
    for product in state.records("product"):
        if product["archived"]:
            continue
        variants = by_product[product["id"]] if product["variantsCount"] else [product]
        for thing in variants:
            price = thing["salePrices"][0]["value"]
            items.append(
                Item(
                    thing["_ref"],
                    price,
                    thing["salePrices"][1]["value"],
                    thing["buyPrice"]["value"],
                    product["vat"],
                    bool(product.get("weighed")),
                )
            )
    return items


def generate_retail_points(state: SimulatorState) -> None:
    """A retail point (``retailstore``) for each shop store."""
    for store in state.records("store"):
        if store["name"].startswith("Магазин"):
            state.add(
                "retailstore",
                record(
                    state,
                    "retailstore",
                    store["updated"],
                    name=f"Касса: {store['name']}",
                    externalCode=state.ids.external_code(),
                    archived=False,
                    address=store["address"],
                    active=True,
                    store=store["_ref"],
                    organization=Ref("organization", state.organization_id),
                ),
            )


def generate_history(state: SimulatorState, docs_per_month: int) -> None:
    install_states(state)
    generate_retail_points(state)
    months = state.settings.history_months
    start = (state.anchor - timedelta(days=round(months * 30.4))).replace(hour=0, minute=0, second=0)
    history = History(state)
    history.run(start, (state.anchor - start).days, docs_per_month)
    from moysklad_simulator.data.cases import generate_cases  # the cases build on History

    generate_cases(history)

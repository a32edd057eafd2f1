"""A handful of documents for each MoySklad case the connector must get right (issue 13, "MoySklad fidelity").

Added after the trading history, from the same seeded generator, so one seed always gives the same cases:

* drafts (``applicable: false``): they move neither stock nor money;
* documents in the recycle bin (``isDeleted``, a ``deleted`` stamp, a ``puttorecyclebin`` audit context), and
  documents put there and restored (``restorefromrecyclebin``): those count again;
* services (cost entered on the position) and bundles (cost and stock taken from the components) sold;
* a sale that leaves a store with negative stock;
* position discounts and prices without VAT (``vatIncluded: false``: VAT added on top of the sum);
* old sales at both ends of Moscow days in 2010 (summer time), 2012 (UTC+4) and after 2014-10-26 (UTC+3).

docs/moysklad.md ("Cases the simulator generates") says how each one counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from moysklad_simulator.audit import AuditContext, AuditEvent
from moysklad_simulator.data.history import History, Item
from moysklad_simulator.documents.factory import new_document, new_position
from moysklad_simulator.documents.model import Position
from moysklad_simulator.model import Ref
from moysklad_simulator.timefmt import fmt_ms, fmt_s

# Moscow wall-clock moments next to midnight, where a wrong offset moves a sale to the neighbouring day.
OLD_MOMENTS = (
    datetime(2010, 7, 14, 23, 40),  # summer time, UTC+4
    datetime(2010, 8, 3, 0, 25),
    datetime(2010, 12, 2, 0, 20),  # winter time, UTC+3
    datetime(2012, 6, 5, 0, 15),  # UTC+4 all year
    datetime(2012, 11, 20, 23, 50),
    datetime(2014, 11, 3, 0, 10),  # UTC+3 since 2014-10-26
    datetime(2014, 12, 9, 23, 45),
)
SERVICE_COST_SHARE = 0.3
NEGATIVE_BY = 3.0


class Cases:
    """Adds the case documents to a state whose history ``history`` has generated."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.state = history.state
        self.rng = history.rng
        self.goods = [i for i in history.items if i.ref.type == "product" and not i.weighed]

    def run(self) -> None:
        anchor = self.state.anchor.replace(hour=0, minute=0, second=0, microsecond=0)
        self.drafts(anchor - timedelta(days=40))
        self.recycle_bin(anchor - timedelta(days=36))
        self.services_and_bundles(anchor - timedelta(days=32))
        self.discounts_without_vat(anchor - timedelta(days=28))
        self.old_sales()
        self.negative_stock(anchor - timedelta(days=24))

    # --- building blocks ----------------------------------------------------------------------
    def _in_stock(self, store: Ref) -> list[Item]:
        return [i for i in self.goods if self.state.ledger.available(store.id, i.ref.id) >= 2]

    def _positions(self, items: list[Item], quantity: float = 1.0, discount: float = 0.0) -> list[Position]:
        return [new_position(self.state, i.ref, quantity, i.price, discount, i.vat) for i in items]

    def _sale(
        self,
        date: datetime,
        positions: list[Position],
        *,
        kind: str = "retaildemand",
        store: Ref | None = None,
        at: datetime | None = None,
        posted: bool = True,
        books: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """A retail sale at a shop or a shipment from the warehouse, at a random hour of ``date`` or exactly ``at``.

        ``books``: a posted document moves the ledger.
        """
        history = self.history
        store = store or (history.shops[0] if kind == "retaildemand" else history.warehouse)
        moment, created = (at, at + timedelta(seconds=30)) if at else history._at(date, 10, 20)
        if posted and books:
            self._issue(store, positions, fmt_ms(moment))
        if kind == "retaildemand":
            extra = {**history._retail_extra(store, date), **extra}
            agent = Ref("counterparty", self.state.retail_customer_id)
        else:
            agent = history.buyers[0] if history.buyers else Ref("counterparty", self.state.retail_customer_id)
        return new_document(
            self.state, kind, moment, created, agent=agent, store=store, positions=positions, applicable=posted, **extra
        )

    def _issue(self, store: Ref, positions: list[Position], moment: str) -> None:
        """Stock out and cost at the moment: services have their cost on the position, bundles their components'."""
        ledger = self.state.ledger
        for position in positions:
            kind = position.assortment.type
            if kind == "service":
                position.cost = float(round(position.price * SERVICE_COST_SHARE))
            elif kind == "bundle":
                position.cost = 0.0
                for component, per_bundle in self._components(position.assortment):
                    unit, _ = ledger.issue(store.id, component, per_bundle * position.quantity, moment)
                    position.cost += round(unit * per_bundle, 2)
            else:
                position.cost, position.stock = ledger.issue(store.id, position.assortment, position.quantity, moment)

    def _components(self, bundle: Ref) -> list[tuple[Ref, float]]:
        record = self.state.find(bundle)
        rows = record["components"].materialize() if record else []
        return [(row["assortment"], row["quantity"]) for row in rows]

    def _audit(self, moment: datetime, event_type: str, doc: dict[str, Any]) -> None:
        """An audit context as MoySklad writes it for a recycle-bin move (docs/moysklad.md, "Audit feed …")."""
        event = AuditEvent(event_type, doc["_ref"], doc["name"])
        self.state.audit.append(
            AuditContext(self.state.ids.uuid(), self.state.settings.login, "app", fmt_s(moment), [event])
        )

    # --- the cases ----------------------------------------------------------------------------
    def drafts(self, date: datetime) -> None:
        """Unposted sales and an unposted supply: listed like any document, counted nowhere."""
        shop = self.history.shops[0]
        for day in range(2):
            picked = self._in_stock(shop)[day : day + 2]
            self._sale(date + timedelta(days=day), self._positions(picked), posted=False)
        supply = [new_position(self.state, i.ref, 50.0, i.buy, 0.0, i.vat) for i in self.goods[:2]]
        moment, created = self.history._at(date + timedelta(days=2), 8, 12)
        suppliers = self.history.suppliers
        new_document(
            self.state,
            "supply",
            moment,
            created,
            agent=suppliers[0],
            store=self.history.warehouse,
            positions=supply,
            applicable=False,
            payedSum=0.0,
        )

    def recycle_bin(self, date: datetime) -> None:
        """Two sales left in the recycle bin (they count nowhere) and two put there and restored (they count)."""
        shop = self.history.shops[0]
        for number in range(4):
            picked = self._in_stock(shop)[number : number + 1]
            in_bin = number < 2
            # A posted sale in the bin no longer moves stock: the ledger never sees it.
            doc = self._sale(date + timedelta(days=number), self._positions(picked), books=not in_bin)
            binned = datetime.strptime(doc["moment"][:16], "%Y-%m-%d %H:%M") + timedelta(hours=2)
            self._audit(binned, "puttorecyclebin", doc)
            if in_bin:
                doc.update(_trashed=True, deleted=fmt_ms(binned))
            else:
                self._audit(binned + timedelta(hours=1), "restorefromrecyclebin", doc)

    def services_and_bundles(self, date: datetime) -> None:
        """Services next to goods at the till, bundles at the till and in a shipment."""
        services = [s for s in self.state.records("service") if not s["archived"]]
        shop = self.history.shops[0]
        for number, service in enumerate(services[:2]):
            line = new_position(self.state, service["_ref"], 1.0, service["salePrices"][0]["value"], 0.0, 20)
            goods = self._positions(self._in_stock(shop)[number : number + 1])
            self._sale(date + timedelta(days=number), [line, *goods])
        stores = {"retaildemand": shop, "demand": self.history.warehouse}
        sold = 0
        for bundle in self.state.records("bundle"):
            kind = next((k for k, store in stores.items() if self._bundle_in_stock(bundle, store)), None)
            if kind is None or sold == 2:
                continue
            line = new_position(self.state, bundle["_ref"], 1.0, bundle["salePrices"][0]["value"], 0.0, 20)
            self._sale(date + timedelta(days=2 + sold), [line], kind=kind)
            sold += 1

    def _bundle_in_stock(self, bundle: dict[str, Any], store: Ref) -> bool:
        """Every component is a product without variants, in stock at ``store``."""
        ledger = self.state.ledger
        return all(
            component.type == "product"
            and not (self.state.find(component) or {}).get("variantsCount")
            and ledger.available(store.id, component.id) >= 2 * per_bundle
            for component, per_bundle in self._components(bundle["_ref"])
        )

    def discounts_without_vat(self, date: datetime) -> None:
        """Shipments priced without VAT (added on top), with position discounts, one of them fractional."""
        warehouse = self.history.warehouse
        for number, discount in enumerate((10.0, 7.5)):
            picked = self._in_stock(warehouse)[number * 2 : number * 2 + 2]
            positions = self._positions(picked, quantity=3.0, discount=discount)
            positions[-1].discount = 0.0
            self._sale(date + timedelta(days=number), positions, kind="demand", vatIncluded=False)

    def old_sales(self) -> None:
        """Sales from years when Moscow's offset was different, minutes from midnight."""
        shop = self.history.shops[0]
        for number, moment in enumerate(OLD_MOMENTS):
            self._sale(moment, self._positions(self._in_stock(shop)[number : number + 1]), at=moment)

    def negative_stock(self, date: datetime) -> None:
        """A till sells more than the books hold: MoySklad allows it and shows negative stock."""
        shop = self.history.shops[-1]
        item = self._in_stock(shop)[0]
        held = self.state.ledger.stock[(shop.id, item.ref.id)]
        self._sale(date, self._positions([item], quantity=held + NEGATIVE_BY), store=shop)


def generate_cases(history: History) -> None:
    Cases(history).run()

"""Live mode: keep the shop trading, editing and deleting, with audit events and webhooks."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from moysklad_simulator.audit import record_event
from moysklad_simulator.data.history import History
from moysklad_simulator.documents.factory import new_document, new_position
from moysklad_simulator.model import Ref
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import now_msk, parse_msk

ACTIONS = ("sale", "price", "create", "delete", "archive", "counterparty")
WEIGHTS = (40, 20, 15, 10, 5, 10)


class LiveShop:
    """One step at a time, changes the state the way a working shop would."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.rng = state.rng
        self.history = History(state)
        self.created: list[str] = []

    def step(self) -> str:
        """Perform one random action; returns its name."""
        action = self.rng.choices(ACTIONS, WEIGHTS)[0]
        getattr(self, f"_{action}")()
        return action

    def _live_products(self) -> list[dict[str, Any]]:
        return [p for p in self.state.records("product") if not p["archived"]]

    def _sale(self) -> None:
        history, state = self.history, self.state
        store = self.rng.choice(history.shops)
        lines = history._lines(store, wholesale=False)
        if not lines:
            return
        now = now_msk()
        moment = now.replace(second=0, microsecond=0)
        stamp = state.next_updated()
        positions = [new_position(state, item.ref, qty, item.price, 0.0, item.vat) for item, _, qty in lines]
        history._issue(store, positions, {item.ref.id: i for item, i, _ in lines}, stamp)
        created = parse_msk(stamp) or now
        doc = new_document(
            state,
            "retaildemand",
            moment,
            created,
            agent=Ref("counterparty", state.retail_customer_id),
            store=store,
            positions=positions,
            **history._retail_extra(store, moment),
        )
        doc.update(cashSum=doc["sum"], payedSum=doc["sum"])
        record_event(state, "create", doc["_ref"], doc["name"])

    def _price(self) -> None:
        product = self.rng.choice(self._live_products())
        price = product["salePrices"][0]
        old = price["value"]
        price["value"] = float(round(old * self.rng.choice((0.95, 1.05, 1.1))))
        product["updated"] = self.state.next_updated()
        record_event(
            self.state,
            "update",
            product["_ref"],
            product["name"],
            {"salePrices": {"oldValue": old, "newValue": price["value"]}},
        )

    def _create(self) -> None:
        template = self.rng.choice(self._live_products())
        product_id = self.state.ids.uuid()
        number = len(self.state.tables["product"]) + 1
        product = {
            **template,
            "_ref": Ref("product", product_id),
            "id": product_id,
            "_ui": self.state.ids.uuid(),
            "updated": self.state.next_updated(),
            "name": f"{template['name'].rsplit(' ', 1)[0]} {number}",
            "code": f"{number:05d}",
            "externalCode": self.state.ids.external_code(),
            "variantsCount": 0,
            "salePrices": [dict(p) for p in template["salePrices"]],
        }
        self.state.add("product", product)
        self.created.append(product_id)
        record_event(self.state, "create", product["_ref"], product["name"])

    def _delete(self) -> None:
        """Hard-delete a product created in live mode (generated ones are used by documents)."""
        if not self.created:
            self._create()
            return
        product = self.state.remove("product", self.created.pop(0))
        if product is not None:
            record_event(
                self.state, "delete", product["_ref"], product["name"], {"name": {"oldValue": product["name"]}}
            )

    def _archive(self) -> None:
        product = self.rng.choice(self._live_products())
        product["archived"] = True
        product["updated"] = self.state.next_updated()
        record_event(
            self.state,
            "puttoarchive",
            product["_ref"],
            product["name"],
            {"archived": {"oldValue": False, "newValue": True}},
        )

    def _counterparty(self) -> None:
        party = self.rng.choice(self.state.records("counterparty"))
        old = party.get("phone")
        party["phone"] = f"+7 (9{self.rng.randrange(10, 100)}) {self.rng.randrange(100, 1000)}-00-00"
        party["updated"] = self.state.next_updated()
        record_event(
            self.state, "update", party["_ref"], party["name"], {"phone": {"oldValue": old, "newValue": party["phone"]}}
        )


async def run_live(app: FastAPI) -> None:
    """Step the shop every ``live_interval_seconds`` until cancelled."""
    shop = LiveShop(app.state.sim)
    while True:
        await asyncio.sleep(app.state.settings.live_interval_seconds)
        shop.step()

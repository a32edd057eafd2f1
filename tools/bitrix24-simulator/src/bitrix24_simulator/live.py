"""Live mode: keep the CRM busy (deals move through stages, customers are added, edited and deleted, the catalog's
prices and products change), with events.

Every change goes through the same code as the REST methods, so ``DATE_MODIFY`` and outbound events behave alike.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from fastapi import FastAPI

from bitrix24_simulator.crm import entities, products
from bitrix24_simulator.data.formats import phone_variant, random_phone
from bitrix24_simulator.data.funnel import stages_of
from bitrix24_simulator.store import Portal

ACTIONS = ("move", "deal", "contact", "edit", "delete", "product")
WEIGHTS = (40, 20, 15, 15, 10, 10)


class LivePortal:
    """One step at a time, changes the portal the way a working sales team would."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.rng = portal.rng
        self.created: list[tuple[str, int]] = []  # (entity, id) made in live mode, oldest first
        self.new_products: list[int] = []  # products added in live mode (generated ones are in deal rows)

    def step(self) -> str:
        """Perform one random action; returns its name."""
        action = self.rng.choices(ACTIONS, WEIGHTS)[0]
        getattr(self, f"_{action}")()
        return action

    def _move(self) -> None:
        open_deals = [d for d in self.portal.records("deal") if d["CLOSED"] == "N"]
        if not open_deals:
            self._deal()
            return
        deal = self.rng.choice(open_deals)
        stages = [s["STATUS_ID"] for s in stages_of(self.portal, int(deal["CATEGORY_ID"]))]
        later = stages[stages.index(deal["STAGE_ID"]) + 1 :] if deal["STAGE_ID"] in stages else stages
        entities.update(self.portal, entities.ENTITIES["deal"], {"id": deal["ID"], "fields": {"STAGE_ID": later[0]}})

    def _deal(self) -> None:
        contacts = self.portal.records("contact")
        fields = {
            "TITLE": f"Сделка {len(self.portal.tables['deal']) + 1}",
            "CATEGORY_ID": self.rng.choice(("0", "2")),
            "OPPORTUNITY": str(self.rng.randrange(1_000, 90_000)),
            "IS_MANUAL_OPPORTUNITY": "Y",  # no product rows: the amount is typed in
            "CONTACT_ID": self.rng.choice(contacts)["ID"] if contacts else None,
        }
        self.created.append(("deal", entities.add(self.portal, entities.ENTITIES["deal"], {"fields": fields})))

    def _contact(self) -> None:
        fields = {
            "NAME": "Новый",
            "LAST_NAME": f"Клиент {self.rng.randrange(1000)}",
            "PHONE": [{"VALUE": phone_variant(self.rng, random_phone(self.rng)), "VALUE_TYPE": "WORK"}],
        }
        self.created.append(("contact", entities.add(self.portal, entities.ENTITIES["contact"], {"fields": fields})))

    def _edit(self) -> None:
        kind = self.rng.choice(("contact", "company"))
        record = self.rng.choice(self.portal.records(kind))
        phone = {"VALUE": random_phone(self.rng), "VALUE_TYPE": "MOBILE"}
        entities.update(self.portal, entities.ENTITIES[kind], {"id": record["ID"], "fields": {"PHONE": [phone]}})

    def _delete(self) -> None:
        """Delete a contact or deal created in live mode (generated contacts are referenced by generated deals)."""
        while self.created:
            kind, record_id = self.created.pop(0)
            if self.portal.get(kind, record_id) is not None:
                entities.delete(self.portal, entities.ENTITIES[kind], {"id": record_id})
                return
        self._contact()

    def _product(self) -> None:
        """Reprice or (de)activate a product, add one, or delete one added in live mode."""
        roll = self.rng.random()
        if roll < 0.15 and self.new_products:
            products.product_delete(self.portal, {"id": self.new_products.pop(0)})
        elif roll < 0.35:
            self.new_products.append(products.product_add(self.portal, {"fields": self._new_product()}))
        else:
            product = self.rng.choice(self.portal.records("product"))
            change = {"ACTIVE": "N" if product["ACTIVE"] == "Y" else "Y"} if roll > 0.85 else self._reprice(product)
            products.product_update(self.portal, {"id": product["ID"], "fields": change})

    def _new_product(self) -> dict[str, str | None]:
        section = self.rng.choice(self.portal.records("productsection") or [{"ID": None}])["ID"]
        price = str(self.rng.randrange(100, 9_000))
        return {"NAME": f"Новинка {self.rng.randrange(1000)}", "PRICE": price, "SECTION_ID": section, "VAT_ID": "4"}

    def _reprice(self, product: dict[str, str]) -> dict[str, str]:
        """A price 10% lower to 20% higher."""
        return {"PRICE": str(Decimal(product["PRICE"]) * Decimal(self.rng.randrange(90, 121)) / 100)}


async def run_live(app: FastAPI) -> None:
    """Step the portal every ``live_interval_seconds`` until cancelled."""
    live = LivePortal(app.state.portal)
    while True:
        await asyncio.sleep(app.state.settings.live_interval_seconds)
        live.step()

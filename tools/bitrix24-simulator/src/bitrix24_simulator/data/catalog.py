"""The portal's product catalog (``crm.product.list``): the MoySklad shop's goods, prices in roubles.

``XML_ID`` carries the MoySklad product id, the way an exchange module links the two catalogs.
"""

from __future__ import annotations

from datetime import timedelta

from bitrix24_simulator.crm.entities import money
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import iso
from moysklad_simulator.store import SimulatorState

MAX_PRODUCTS = 300


def generate_products(portal: Portal, shop: SimulatorState) -> None:
    for product in shop.records("product")[:MAX_PRODUCTS]:
        product_id = portal.next_id("product")
        created = portal.anchor - timedelta(days=portal.rng.uniform(200, 800))
        price = product["salePrices"][0]["value"] / 100 if product.get("salePrices") else 0
        portal.add(
            "product",
            {
                "ID": str(product_id),
                "NAME": product["name"],
                "ACTIVE": "N" if product.get("archived") else "Y",
                "PRICE": money(price),
                "CURRENCY_ID": "RUB",
                "SECTION_ID": None,
                "SORT": "500",
                "XML_ID": product["id"],
                "DESCRIPTION": product.get("description"),
                "MEASURE": "9",
                "VAT_ID": "1",
                "VAT_INCLUDED": "Y",
                "DATE_CREATE": iso(created),
                "TIMESTAMP_X": iso(created),
            },
        )

"""The portal's product catalog: the MoySklad shop's folders as sections and its goods as products, prices in roubles.

``XML_ID`` carries the MoySklad product id, the way an exchange module links the two catalogs. Sections follow the
shop's folder paths; a product's ``VAT_ID`` is the rate of its MoySklad VAT (``crm.vat.list``). After the deals are
made, some catalog prices rise (``reprice``): the rows of older deals keep the price they were sold at, so a row's
``PRICE`` may differ from its product's (docs/bitrix24.md, "Product catalog").
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bitrix24_simulator.crm.entities import CATALOG_ID, money
from bitrix24_simulator.crm.products import VAT_BY_RATE
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import iso
from moysklad_simulator.store import SimulatorState

MAX_PRODUCTS = 300
REPRICED_SHARE = 0.3


def generate_products(portal: Portal, shop: SimulatorState) -> None:
    sections: dict[str, str] = {}
    for product in shop.records("product")[:MAX_PRODUCTS]:
        product_id = portal.next_id("product")
        created = portal.anchor - timedelta(days=portal.rng.uniform(200, 800))
        price = product["salePrices"][0]["value"] / 100 if product.get("salePrices") else 0
        portal.add(
            "product",
            {
                "ID": str(product_id),
                "CATALOG_ID": CATALOG_ID,
                "NAME": product["name"],
                "ACTIVE": "N" if product.get("archived") else "Y",
                "PRICE": money(price),
                "CURRENCY_ID": "RUB",
                "SECTION_ID": _section(portal, sections, str(product.get("pathName") or "")),
                "SORT": "500",
                "XML_ID": product["id"],
                "DESCRIPTION": product.get("description"),
                "MEASURE": "9",
                "VAT_ID": VAT_BY_RATE[product.get("vat") if product.get("vatEnabled") else None],
                "VAT_INCLUDED": "Y",
                "DATE_CREATE": iso(created),
                "TIMESTAMP_X": iso(created),
                "CREATED_BY": "1",
                "MODIFIED_BY": "1",
            },
        )


def _section(portal: Portal, sections: dict[str, str], path: str) -> str | None:
    """The section of a folder path (``Продукты/Молочные``), made with its parents on first use."""
    parent: str | None = None
    parts = [part for part in path.split("/") if part]
    for depth in range(1, len(parts) + 1):
        key = "/".join(parts[:depth])
        if key not in sections:
            section_id = str(portal.next_id("productsection"))
            portal.add(
                "productsection",
                {
                    "ID": section_id,
                    "CATALOG_ID": CATALOG_ID,
                    "SECTION_ID": parent,
                    "NAME": parts[depth - 1],
                    "XML_ID": f"section-{section_id}",
                },
            )
            sections[key] = section_id
        parent = sections[key]
    return parent


def reprice(portal: Portal) -> None:
    """Raise the catalog price of some products after the deals were priced (their own generator, so the rest of
    the portal stays what it was for a seed)."""
    rng = random.Random(f"bitrix24-catalog:{portal.settings.seed}")  # noqa: S311 - simulated data, not security
    for product in portal.records("product"):
        if rng.random() < REPRICED_SHARE:
            _raise_price(product, rng, portal)


def _raise_price(product: dict[str, Any], rng: random.Random, portal: Portal) -> None:
    product["PRICE"] = money(Decimal(product["PRICE"]) * Decimal(rng.randrange(105, 116)) / 100)
    product["TIMESTAMP_X"] = iso(portal.anchor - timedelta(days=rng.uniform(1, 20)))

"""Deal product rows, funnels and stages.

``crm.deal.productrows.get``/``set`` (https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-productrows-get.html):
row prices are numbers, ``PRICE_ACCOUNT`` a string; ``set`` replaces every row. ``crm.category.list`` with
``entityTypeId=2`` answers ``{"categories": […]}`` in camelCase
(https://apidocs.bitrix24.com/api-reference/crm/universal/category/crm-category-list.html); ``crm.status.list`` lists
stages by ``ENTITY_ID``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bitrix24_simulator import events
from bitrix24_simulator.crm.entities import money, record_id, touch
from bitrix24_simulator.crm.listing import matches
from bitrix24_simulator.data.funnel import stages_of
from bitrix24_simulator.errors import B24Error, method_error, not_found
from bitrix24_simulator.params import as_list
from bitrix24_simulator.store import Portal


def productrows_get(portal: Portal, params: dict[str, Any]) -> list[dict[str, Any]]:
    deal_id = record_id(params)
    if portal.get("deal", deal_id) is None:
        raise not_found()
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in portal.rows_of("D", deal_id)]


def productrows_set(portal: Portal, params: dict[str, Any]) -> bool:
    deal_id = record_id(params)
    deal = portal.get("deal", deal_id)
    if deal is None:
        raise not_found()
    rows = as_list(params.get("rows"))
    for old in portal.rows_of("D", deal_id):
        portal.remove("productrow", int(old["ID"]))
    for position, given in enumerate(rows, start=1):
        if not isinstance(given, dict):
            raise method_error("Parameter 'rows' must be array of objects.")
        product = portal.get("product", given.get("PRODUCT_ID", 0))
        name = str(given.get("PRODUCT_NAME") or (product["NAME"] if product else ""))
        add_row(
            portal,
            deal_id,
            int(given.get("PRODUCT_ID") or 0),
            name,
            given.get("PRICE", 0),
            given.get("QUANTITY", 1),
            position * 10,
        )
    if deal.get("IS_MANUAL_OPPORTUNITY") != "Y":
        deal["OPPORTUNITY"] = money(sum(row_total(r) for r in portal.rows_of("D", deal_id)))
    touch(portal, deal)
    events.notify(portal, "ONCRMDEALUPDATE", deal_id)
    return True


def add_row(
    portal: Portal, deal_id: int, product_id: int, name: str, price: Any, quantity: Any, sort: int
) -> dict[str, Any]:
    value = float(Decimal(str(price)))
    row_id = portal.next_id("productrow")
    return portal.add(
        "productrow",
        {
            "ID": str(row_id),
            "OWNER_ID": str(deal_id),
            "OWNER_TYPE": "D",
            "PRODUCT_ID": product_id,
            "PRODUCT_NAME": name,
            "ORIGINAL_PRODUCT_NAME": name,
            "PRODUCT_DESCRIPTION": None,
            "PRICE": value,
            "PRICE_EXCLUSIVE": value,
            "PRICE_NETTO": value,
            "PRICE_BRUTTO": value,
            "PRICE_ACCOUNT": f"{value:.2f}",
            "QUANTITY": float(Decimal(str(quantity))),
            "DISCOUNT_TYPE_ID": 2,
            "DISCOUNT_RATE": 0,
            "DISCOUNT_SUM": 0,
            "TAX_RATE": None,
            "TAX_INCLUDED": "Y",
            "CUSTOMIZED": "Y",
            "MEASURE_CODE": 796,
            "MEASURE_NAME": "шт",
            "SORT": sort,
        },
    )


def row_total(row: dict[str, Any]) -> Decimal:
    return Decimal(str(row["PRICE"])) * Decimal(str(row["QUANTITY"]))


def category_list(portal: Portal, params: dict[str, Any]) -> dict[str, Any]:
    if str(params.get("entityTypeId", "")) != "2":
        # Only deal funnels are simulated; smart processes have their own entity type ids.
        raise B24Error(400, "NOT_FOUND", "Smart process not found")
    return {"categories": [dict(c) for c in portal.categories]}


def dealcategory_stage_list(portal: Portal, params: dict[str, Any]) -> list[dict[str, Any]]:
    category = int(params.get("id", params.get("ID")) or 0)
    stages = stages_of(portal, category)
    if not stages:
        raise not_found()
    return [{k: s[k] for k in ("NAME", "SORT", "STATUS_ID")} for s in stages]


def status_list(portal: Portal, params: dict[str, Any]) -> list[dict[str, Any]]:
    conditions = params.get("filter") if isinstance(params.get("filter"), dict) else {}
    return [dict(s) for s in portal.statuses if matches(s, conditions or {})]

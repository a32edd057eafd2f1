"""Read the stock reports into canonical ``StockLevel`` s (docs/moysklad.md, "Reports").

``report/stock/bystore`` gives stock, reserve and in-transit per item and store; ``report/stock/all`` adds the unit
cost (``price``, kopecks) per item; products with a ``minimumBalance`` give the minimum (a variant inherits its
product's, as MoySklad's ``underMinimum`` filter does). Both reports weigh 5 units per request whatever the
authentication (same page, "Rate limits and errors"); the client charges that weight. ``stockMode=all`` keeps items
whose stock is zero but that are reserved or on their way; rows that are zero everywhere are left out like absent
ones. A row that cannot be read is kept as a skipped object (its item's levels stay as last published).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_common.events import models as m
from moysklad_connector.client import MoySkladClient
from moysklad_connector.client.http import ListPage, abandon
from moysklad_connector.mapping.common import Unmappable, decimal, ref_id, ref_type, roubles
from moysklad_connector.mapping.lookups import Lookups
from moysklad_connector.reading.positions import resolve_variants

REPORT_LIMIT = 1000
STOCKED_KINDS = {"product": m.AssortmentKind.PRODUCT, "variant": m.AssortmentKind.VARIANT}
ZERO = Decimal(0)


@dataclass(frozen=True)
class UnreadableRow:
    """A stock report row the connector could not read: the item (when its reference is readable), why, the row."""

    item: str | None
    reason: str
    row: dict[str, Any]


async def offset_pages(
    client: MoySkladClient, path: str, params: dict[str, str], page_size: int = REPORT_LIMIT
) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows of a list read by plain offset paging (reports have no ``updated``), page by page; the next page is
    asked for while the caller works on this one, so its work fills the rate limiter's waits."""

    def ask(offset: int) -> asyncio.Task[ListPage]:
        return asyncio.create_task(client.list_page(path, {**params, "limit": str(page_size), "offset": str(offset)}))

    ahead, offset = ask(0), 0
    try:
        while True:
            page = await ahead
            offset += len(page.rows)
            more = bool(page.rows) and offset < page.size
            if more:
                ahead = ask(offset)
            yield page.rows
            if not more:
                return
    finally:
        await abandon(ahead)


async def unit_costs(client: MoySkladClient, stock_mode: str, page_size: int = REPORT_LIMIT) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    async for rows in offset_pages(client, "report/stock/all", {"filter": f"stockMode={stock_mode}"}, page_size):
        priced = ((ref_id(row), row.get("price")) for row in rows)
        out.update((item, roubles(price)) for item, price in priced if item and price is not None)
    return out


async def minimums(client: MoySkladClient) -> dict[str, Decimal]:
    """Product id → ``minimumBalance``, for the products that have one."""
    out: dict[str, Decimal] = {}
    params = {"filter": "minimumBalance>0;archived=true;archived=false"}
    async for rows in offset_pages(client, "entity/product", params):
        for row in rows:
            if isinstance(row.get("id"), str) and row.get("minimumBalance") is not None:
                out[row["id"]] = decimal(row["minimumBalance"])
    return out


async def level_pages(
    client: MoySkladClient, lookups: Lookups, stock_mode: str, as_of: datetime, page_size: int = REPORT_LIMIT
) -> AsyncIterator[tuple[dict[str, m.StockLevel], list[UnreadableRow]]]:
    """The non-zero levels of each page of ``report/stock/bystore`` (keyed ``<assortment_id>:<store_id>``) and the
    rows of it that could not be read. Unit costs and minimums are read first, so each page is complete when it
    arrives and never more than a page of the report is held."""
    costs = await unit_costs(client, stock_mode, page_size)
    minimum = await minimums(client)
    async for rows in offset_pages(client, "report/stock/bystore", {"filter": f"stockMode={stock_mode}"}, page_size):
        await resolve_variants(client, lookups, (ref_id(r) for r in rows if ref_type(r) == "variant"))
        levels: dict[str, m.StockLevel] = {}
        unreadable: list[UnreadableRow] = []
        for row in rows:
            try:
                levels.update(_row_levels(row, lookups, costs, minimum, as_of))
            except (Unmappable, KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
                unreadable.append(UnreadableRow(_item_of(row), f"stock report row not readable: {exc}"[:500], row))
        yield levels, unreadable


def _item_of(row: dict[str, Any]) -> str | None:
    try:
        return ref_id(row)
    except (AttributeError, TypeError):  # a "meta" that is not an object
        return None


def _row_levels(
    row: dict[str, Any], lookups: Lookups, costs: dict[str, Decimal], minimum: dict[str, Decimal], as_of: datetime
) -> dict[str, m.StockLevel]:
    kind = STOCKED_KINDS.get(ref_type(row) or "")
    item = ref_id(row)
    if kind is None or item is None:
        return {}  # consignments and the like: not kept per item
    product = lookups.variant_products.get(item) if kind is m.AssortmentKind.VARIANT else item
    if product is None:
        raise Unmappable(f"variant {item} has no known product")
    out: dict[str, m.StockLevel] = {}
    for cell in row.get("stockByStore") or []:
        store = ref_id(cell)
        stock, reserve = decimal(cell.get("stock") or 0), decimal(cell.get("reserve") or 0)
        in_transit = decimal(cell.get("inTransit") or 0)
        if store is None or stock == reserve == in_transit == ZERO:
            continue
        out[f"{item}:{store}"] = m.StockLevel(
            assortment_id=item,
            assortment_kind=kind,
            product_id=product,
            store_id=store,
            stock=stock,
            reserve=reserve,
            in_transit=in_transit,
            available=stock - reserve,  # free stock (MoySklad's freeStock): what can be sold now
            unit_cost=costs.get(item),
            minimum_stock=minimum.get(product),
            as_of=as_of,
        )
    return out

"""Read the stock reports into canonical ``StockLevel`` s (docs/moysklad.md, "Reports").

``report/stock/bystore`` gives stock, reserve and in-transit per item and store; ``report/stock/all`` adds the unit
cost (``price``, kopecks) per item; products with a ``minimumBalance`` give the minimum (a variant inherits its
product's, as MoySklad's ``underMinimum`` filter does). Both reports weigh 5 units per request whatever the
authentication (same page, "Rate limits and errors"); the client charges that weight. ``stockMode=all`` keeps items
whose stock is zero but that are reserved or on their way; rows that are zero everywhere are left out like absent
ones.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_common.events import models as m
from moysklad_connector.client import MoySkladClient
from moysklad_connector.log import log
from moysklad_connector.mapping.common import Unmappable, decimal, ref_id, ref_type, roubles
from moysklad_connector.mapping.lookups import Lookups
from moysklad_connector.reading.positions import resolve_variants

REPORT_LIMIT = 1000
STOCKED_KINDS = {"product": m.AssortmentKind.PRODUCT, "variant": m.AssortmentKind.VARIANT}
ZERO = Decimal(0)


async def report_rows(client: MoySkladClient, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every row of a paged report (reports have no ``updated``: plain offset paging)."""
    rows: list[dict[str, Any]] = []
    while True:
        page = await client.list_page(path, {**params, "limit": str(REPORT_LIMIT), "offset": str(len(rows))})
        rows += page.rows
        if not page.rows or len(rows) >= page.size:
            return rows


async def unit_costs(client: MoySkladClient, stock_mode: str) -> dict[str, Decimal]:
    rows = await report_rows(client, "report/stock/all", {"filter": f"stockMode={stock_mode}"})
    return {item: roubles(row["price"]) for row in rows if (item := ref_id(row)) and row.get("price") is not None}


async def minimums(client: MoySkladClient) -> dict[str, Decimal]:
    """Product id → ``minimumBalance``, for the products that have one."""
    out: dict[str, Decimal] = {}
    offset = 0
    while True:
        params = {"filter": "minimumBalance>0;archived=true;archived=false", "limit": "1000", "offset": str(offset)}
        page = await client.list_page("entity/product", params)
        for row in page.rows:
            if isinstance(row.get("id"), str) and row.get("minimumBalance") is not None:
                out[row["id"]] = decimal(row["minimumBalance"])
        offset += len(page.rows)
        if not page.rows or offset >= page.size:
            return out


async def read_levels(
    client: MoySkladClient, lookups: Lookups, stock_mode: str, as_of: datetime
) -> dict[str, m.StockLevel]:
    """Every non-zero level, keyed ``<assortment_id>:<store_id>``."""
    rows = await report_rows(client, "report/stock/bystore", {"filter": f"stockMode={stock_mode}"})
    costs = await unit_costs(client, stock_mode)
    minimum = await minimums(client)
    await resolve_variants(client, lookups, (ref_id(r) for r in rows if ref_type(r) == "variant"))
    levels: dict[str, m.StockLevel] = {}
    for row in rows:
        try:
            levels.update(_row_levels(row, lookups, costs, minimum, as_of))
        except (Unmappable, KeyError, TypeError, ValueError) as exc:
            log.warning("stock report row not readable", row=str(row)[:300], reason=str(exc)[:300])
    return levels


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

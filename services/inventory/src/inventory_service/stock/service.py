"""Use cases of stock: the row a stock level from the source writes, list stock."""

from __future__ import annotations

from typing import Any

from crm_common.db import Reads
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import AssortmentKind, StockLevel
from crm_common.messaging.consumer import PoisonEvent
from crm_common.versioned import Versioned
from inventory_service.stock.repository import STOCK, StockRepository
from inventory_service.stock.schemas import StockQuery


def stock_entity_id(assortment_id: str, store_id: str) -> str:
    return f"{assortment_id}:{store_id}"


def prepare_stock(event: EventEnvelope) -> Versioned:
    """`stock.changed`: the level's row, keyed `<assortment_id>:<store_id>` (PoisonEvent if the envelope says else)."""
    level = event.parsed(StockLevel)
    entity_id = stock_entity_id(level.assortment_id, level.store_id)
    if event.entity_id != entity_id:
        raise PoisonEvent(f"entity_id {event.entity_id!r} is not {entity_id!r} (`<assortment_id>:<store_id>`)")
    row = {
        **STOCK.origin_of(event),
        "id": entity_id,
        "assortment_id": level.assortment_id,
        "assortment_kind": level.assortment_kind.value,
        "product_id": level.product_id,
        "store_id": level.store_id,
        "stock": level.stock,
        "reserve": level.reserve,
        "in_transit": level.in_transit,
        "available": level.available,
        "unit_cost": level.unit_cost,
        "minimum_stock": level.minimum_stock,
        "as_of": level.as_of,
        "source_version": event.source_version,
    }
    return Versioned(entity_id, event.source_version, row, False, event.occurred_at, level)


async def list_stock(session: Reads, query: StockQuery) -> dict[str, Any]:
    """One page of stock levels as the plain data of ``StockPage``, encoded once by the route
    (crm_common.web.responses)."""
    rows, total = await StockRepository(session).search(query)
    return {"items": [_item(r) for r in rows], "total": total, "limit": query.limit, "offset": query.offset}


async def stock_by_store(session: Reads, query: StockQuery) -> dict[str, Any]:
    """One page of ``StoreTotalsPage``: the stock list's rows summed per store."""
    rows, total = await StockRepository(session).totals_by_store(query)
    return {"items": [_totals(r) for r in rows], "total": total, "limit": query.limit, "offset": query.offset}


def _totals(row: Any) -> dict[str, Any]:
    """A ``StoreTotals`` as plain data, its fields in the model's order."""
    return {
        "store_id": row["store_id"],
        "store_name": row["store_name"],
        "levels": row["levels"],
        "stock": row["stock"],
        "reserve": row["reserve"],
        "in_transit": row["in_transit"],
        "available": row["available"],
        "value_at_cost": row["value_at_cost"],
        "without_cost": row["without_cost"],
        "below_minimum": row["below_minimum"],
    }


def _item(row: Any) -> dict[str, Any]:
    """A ``StockItem`` as plain data, its fields in the model's order (the tests hold the bytes to the model)."""
    return {
        "id": row["id"],
        "assortment_id": row["assortment_id"],
        "assortment_kind": AssortmentKind(row["assortment_kind"]).value,
        "product_id": row["product_id"],
        "name": row["name"],
        "code": row["code"],
        "article": row["article"],
        "folder_id": row["folder_id"],
        "store_id": row["store_id"],
        "store_name": row["store_name"],
        "stock": row["stock"],
        "reserve": row["reserve"],
        "in_transit": row["in_transit"],
        "available": row["available"],
        "unit_cost": row["unit_cost"],
        "minimum": row["minimum"],
        "below_minimum": bool(row["below_minimum"]),
        "as_of": row["as_of"],
    }

"""Use case of the stock projection: `stock.changed` replaces one (product or variant, store) level."""

from __future__ import annotations

from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import StockLevel
from crm_common.messaging.consumer import PoisonEvent
from crm_common.versioned import Versioned

PROJECTION = "stock"


def prepare_stock(event: EventEnvelope) -> Versioned:
    level = event.parsed(StockLevel)
    if event.entity_id != f"{level.assortment_id}:{level.store_id}":
        raise PoisonEvent(f"entity id {event.entity_id!r} is not <assortment_id>:<store_id> of the payload")
    row = {
        "assortment_id": level.assortment_id,
        "store_id": level.store_id,
        "assortment_kind": level.assortment_kind.value,
        "product_id": level.product_id,
        "stock": level.stock,
        "reserve": level.reserve,
        "available": level.available,
        "unit_cost": level.unit_cost,
        "minimum_stock": level.minimum_stock,
        "as_of": level.as_of,
        "source_version": event.source_version,
    }
    key = (level.assortment_id, level.store_id)
    return Versioned(key, event.source_version, row, False, event.occurred_at)

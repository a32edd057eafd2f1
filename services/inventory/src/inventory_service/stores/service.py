"""Use cases of stores: the row a store event writes, list stores."""

from __future__ import annotations

from typing import Any

from crm_common.db import Reads
from crm_common.events.models import Store
from inventory_service.stores.repository import StoreRepository


def store_row(store: Store) -> dict[str, Any]:
    """The columns a `store.upserted` writes."""
    return {
        "id": store.id,
        "name": store.name,
        "code": store.code,
        "external_code": store.external_code,
        "address": store.address,
        "parent_id": store.parent_id,
        "archived": store.archived,
        "updated_at": store.updated_at,
    }


async def list_stores(session: Reads, *, archived: bool | None, limit: int, offset: int) -> dict[str, Any]:
    """One page of stores as the plain data of ``StorePage`` (its rows hold ``StoreOut``'s fields in its order), encoded
    once by the route (crm_common.web.responses)."""
    rows, total = await StoreRepository(session).live(archived=archived, limit=limit, offset=offset)
    return {"items": [dict(row) for row in rows], "total": total, "limit": limit, "offset": offset}

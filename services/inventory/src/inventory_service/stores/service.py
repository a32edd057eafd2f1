"""Use cases of stores: the row a store event writes, list stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.models import Store
from inventory_service.stores.repository import StoreRepository
from inventory_service.stores.schemas import StoreOut, StorePage


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


async def list_stores(session: AsyncSession, *, archived: bool | None, limit: int, offset: int) -> StorePage:
    rows, total = await StoreRepository(session).live(archived=archived, limit=limit, offset=offset)
    items = [StoreOut.model_validate(r, from_attributes=True) for r in rows]
    return StorePage(items=items, total=total, limit=limit, offset=offset)

"""Use cases of stores: apply store events, list stores."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Store
from crm_common.versioned import ensure_same_entity
from inventory_service.stores.repository import StoreRepository
from inventory_service.stores.schemas import StoreOut, StorePage


async def apply_store_upserted(session: AsyncSession, event: EventEnvelope) -> None:
    store = Store.model_validate(event.payload)
    ensure_same_entity(event, store.id)
    await StoreRepository(session).upsert(
        {
            "id": store.id,
            "source": event.source,
            "account_id": event.account_id,
            "name": store.name,
            "code": store.code,
            "external_code": store.external_code,
            "address": store.address,
            "parent_id": store.parent_id,
            "archived": store.archived,
            "updated_at": store.updated_at,
            "source_version": event.source_version,
            "deleted_at": None,
        }
    )


async def apply_store_deleted(session: AsyncSession, event: EventEnvelope) -> None:
    deleted = Deleted.model_validate(event.payload)
    ensure_same_entity(event, deleted.id)
    await StoreRepository(session).tombstone(
        deleted.id,
        version=event.source_version,
        deleted_at=deleted.deleted_at,
        source=event.source,
        account=event.account_id,
    )


async def list_stores(session: AsyncSession, *, archived: bool | None, limit: int, offset: int) -> StorePage:
    rows, total = await StoreRepository(session).live(archived=archived, limit=limit, offset=offset)
    items = [StoreOut.model_validate(r, from_attributes=True) for r in rows]
    return StorePage(items=items, total=total, limit=limit, offset=offset)

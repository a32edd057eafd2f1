"""SQL for stores."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.versioned import tombstone_if_newer, upsert_if_newer
from inventory_service.stores.models import StoreRow

stores = cast(Table, StoreRow.__table__)


class StoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, values: dict[str, Any]) -> bool:
        return await upsert_if_newer(self.session, stores, values)

    async def tombstone(self, store_id: str, *, version: int, deleted_at: datetime, source: str, account: str) -> bool:
        placeholder = {"source": source, "account_id": account, "name": "", "updated_at": deleted_at}
        return await tombstone_if_newer(
            self.session, stores, entity_id=store_id, version=version, deleted_at=deleted_at, placeholder=placeholder
        )

    async def live(self, *, archived: bool | None, limit: int, offset: int) -> tuple[list[StoreRow], int]:
        conditions = [StoreRow.deleted_at.is_(None)]
        if archived is not None:
            conditions.append(StoreRow.archived.is_(archived))
        total = await self.session.scalar(select(func.count()).select_from(StoreRow).where(*conditions))
        rows = await self.session.scalars(
            select(StoreRow).where(*conditions).order_by(StoreRow.name, StoreRow.id).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

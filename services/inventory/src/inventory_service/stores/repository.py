"""SQL for stores."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.versioned import VersionedTable
from inventory_service.stores.models import StoreRow

stores = cast(Table, StoreRow.__table__)
STORES = VersionedTable(stores, origin=True, placeholder=lambda d: {"name": "", "updated_at": d.deleted_at})


class StoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live(self, *, archived: bool | None, limit: int, offset: int) -> tuple[list[StoreRow], int]:
        conditions = [StoreRow.deleted_at.is_(None)]
        if archived is not None:
            conditions.append(StoreRow.archived.is_(archived))
        total = await self.session.scalar(select(func.count()).select_from(StoreRow).where(*conditions))
        rows = await self.session.scalars(
            select(StoreRow).where(*conditions).order_by(StoreRow.name, StoreRow.id).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

"""SQL for stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.versioned import VersionedTable
from inventory_service.stores.models import StoreRow

stores = cast(Table, StoreRow.__table__)
STORES = VersionedTable(stores, origin=True, placeholder=lambda d: {"name": "", "updated_at": d.deleted_at})


class StoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live(self, *, archived: bool | None, limit: int, offset: int) -> tuple[Sequence[Any], int]:
        """A page of the live stores by name, as plain rows of the columns ``StoreOut`` shows, in its field order."""
        c = stores.c
        conditions = [c.deleted_at.is_(None)]
        if archived is not None:
            conditions.append(c.archived.is_(archived))
        total = await self.session.scalar(select(func.count()).select_from(stores).where(*conditions))
        shown = (c.id, c.name, c.code, c.external_code, c.address, c.parent_id, c.archived, c.updated_at)
        rows = await self.session.execute(
            select(*shown).where(*conditions).order_by(c.name, c.id).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

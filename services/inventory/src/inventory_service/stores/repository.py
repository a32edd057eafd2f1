"""SQL for stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select

from crm_common.db import Reads, fetch
from crm_common.versioned import VersionedTable
from inventory_service.stores.models import StoreRow

stores = cast(Table, StoreRow.__table__)
STORES = VersionedTable(stores, origin=True, placeholder=lambda d: {"name": "", "updated_at": d.deleted_at})


def _listing(archived: bool | None) -> tuple[Select[Any], Select[Any]]:
    """How many live stores there are and one page of them by name, the columns ``StoreOut`` shows in its order;
    built once per value of the ``archived`` filter (crm_common.db.fetch)."""
    c = stores.c
    conditions = [c.deleted_at.is_(None)]
    if archived is not None:
        conditions.append(c.archived.is_(archived))
    count = select(func.count().label("total")).select_from(stores).where(*conditions)
    shown = (c.id, c.name, c.code, c.external_code, c.address, c.parent_id, c.archived, c.updated_at)
    page = (
        select(*shown).where(*conditions).order_by(c.name, c.id).limit(bindparam("limit")).offset(bindparam("offset"))
    )
    return count, page


LISTINGS = {archived: _listing(archived) for archived in (None, True, False)}


class StoreRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def live(self, *, archived: bool | None, limit: int, offset: int) -> tuple[Sequence[Any], int]:
        """A page of the live stores by name (rows read by column name), and how many there are in all."""
        count, page = LISTINGS[archived]
        total = (await fetch(self.session, count))[0]["total"]
        rows = await fetch(self.session, page, {"limit": limit, "offset": offset})
        return rows, int(total)

"""SQL for the inventory's catalog read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.versioned import tombstone_if_newer, upsert_if_newer
from inventory_service.assortment.models import AssortmentRow, FolderRow

assortment = cast(Table, AssortmentRow.__table__)
folders = cast(Table, FolderRow.__table__)


class AssortmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, values: dict[str, Any]) -> bool:
        return await upsert_if_newer(self.session, assortment, values)

    async def tombstone(self, entity_id: str, *, version: int, deleted_at: datetime, source: str, account: str) -> bool:
        placeholder = {
            "source": source,
            "account_id": account,
            "kind": "product",
            "product_id": entity_id,
            "name": "",
            "updated_at": deleted_at,
        }
        return await tombstone_if_newer(
            self.session,
            assortment,
            entity_id=entity_id,
            version=version,
            deleted_at=deleted_at,
            placeholder=placeholder,
        )

    async def upsert_folder(self, values: dict[str, Any]) -> bool:
        return await upsert_if_newer(self.session, folders, values)

    async def tombstone_folder(
        self, folder_id: str, *, version: int, deleted_at: datetime, source: str, account: str
    ) -> bool:
        placeholder = {"source": source, "account_id": account, "name": "", "updated_at": deleted_at}
        return await tombstone_if_newer(
            self.session,
            folders,
            entity_id=folder_id,
            version=version,
            deleted_at=deleted_at,
            placeholder=placeholder,
        )


def folder_subtree(folder_id: str) -> Select[tuple[str]]:
    """A select of ``folder_id`` and the ids of all folders below it (``UNION`` stops at cycles)."""
    tree = select(folders.c.id).where(folders.c.id == folder_id).cte("subtree", recursive=True)
    tree = tree.union(select(folders.c.id).join(tree, folders.c.parent_id == tree.c.id))
    return select(tree.c.id)

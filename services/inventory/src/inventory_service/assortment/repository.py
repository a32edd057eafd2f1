"""SQL for the inventory's catalog read model: its versioned tables and the folder subtree."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BindParameter, Select, Table, select

from crm_common.versioned import VersionedTable
from inventory_service.assortment.models import AssortmentRow, FolderRow

assortment = cast(Table, AssortmentRow.__table__)
folders = cast(Table, FolderRow.__table__)
# A delete of an item never seen: a product placeholder that is its own product.
ASSORTMENT = VersionedTable(
    assortment,
    origin=True,
    placeholder=lambda d: {"kind": "product", "product_id": d.id, "name": "", "updated_at": d.deleted_at},
)
FOLDERS = VersionedTable(folders, origin=True, placeholder=lambda d: {"name": "", "updated_at": d.deleted_at})


def folder_subtree(folder_id: str | BindParameter[str]) -> Select[tuple[str]]:
    """A select of ``folder_id`` and the ids of all folders below it (``UNION`` stops at cycles)."""
    tree = select(folders.c.id).where(folders.c.id == folder_id).cte("subtree", recursive=True)
    tree = tree.union(select(folders.c.id).join(tree, folders.c.parent_id == tree.c.id))
    return select(tree.c.id)

"""SQL for folders: the versioned table, the tree, paths and subtrees."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import BindParameter, Select, String, Table, any_, bindparam, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from catalog_service.folders.models import FolderRow
from crm_common.db import Reads, fetch
from crm_common.versioned import VersionedTable

# A folder tree deeper than this is a cycle in bad data, not a catalog.
MAX_DEPTH = 64

folders = cast(Table, FolderRow.__table__)
FOLDERS = VersionedTable(folders, origin=True, placeholder=lambda d: {"name": "", "updated_at": d.deleted_at})


def _paths_statement() -> Select[Any]:
    """The full path (root name / ... / own name) of each live folder in ``:ids``, from the stored tree."""
    up = (
        select(folders.c.id.label("start_id"), folders.c.parent_id, folders.c.name, literal(0).label("depth"))
        .where(folders.c.id == any_(bindparam("ids", type_=ARRAY(String))), folders.c.deleted_at.is_(None))
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(up.c.start_id, folders.c.parent_id, folders.c.name, up.c.depth + 1)
        .join(up, folders.c.id == up.c.parent_id)
        .where(up.c.depth < MAX_DEPTH, folders.c.deleted_at.is_(None))
    )
    path = func.string_agg(up.c.name, aggregate_order_by(literal_column("'/'"), up.c.depth.desc()))
    return select(up.c.start_id, path.label("path")).group_by(up.c.start_id)


# Built once and run by crm_common.db.fetch (docs/architecture.md, "API conventions").
LIVE = (
    select(
        folders.c.id,
        folders.c.name,
        folders.c.code,
        folders.c.external_code,
        folders.c.parent_id,
        folders.c.archived,
        folders.c.updated_at,
    )
    .where(folders.c.deleted_at.is_(None))
    .order_by(folders.c.name, folders.c.id)
)
PATHS = _paths_statement()


class FolderRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def live(self) -> Sequence[Any]:
        """Every folder that is not deleted, by name: the columns the tree shows, as rows read by column name
        (loading them as ORM objects was a fifth of the tree's CPU)."""
        return await fetch(self.session, LIVE)

    async def paths(self, folder_ids: Iterable[str]) -> dict[str, str]:
        """Full path (root name / ... / own name) of each given live folder, computed from the stored tree."""
        ids = sorted(set(folder_ids))
        if not ids:
            return {}
        return {row["start_id"]: row["path"] for row in await fetch(self.session, PATHS, {"ids": ids})}


def subtree_ids(folder_id: str | BindParameter[str]) -> Select[tuple[str]]:
    """A select of ``folder_id`` and the ids of all folders below it (``UNION`` stops at cycles)."""
    tree = select(folders.c.id).where(folders.c.id == folder_id).cte("subtree", recursive=True)
    tree = tree.union(select(folders.c.id).join(tree, folders.c.parent_id == tree.c.id))
    return select(tree.c.id)

"""Use cases of folders: the row a folder event writes, the tree."""

from __future__ import annotations

from typing import Any

from catalog_service.folders.repository import FolderRepository
from crm_common.db import Reads
from crm_common.events.models import Folder


def folder_row(folder: Folder) -> dict[str, Any]:
    """The columns a `folder.upserted` writes."""
    return {
        "id": folder.id,
        "name": folder.name,
        "code": folder.code,
        "external_code": folder.external_code,
        "parent_id": folder.parent_id,
        "path": folder.path,
        "archived": folder.archived,
        "updated_at": folder.updated_at,
    }


async def folder_tree(session: Reads) -> dict[str, Any]:
    """The live folders as a forest, the plain data of ``FolderTree``; a folder whose parent is unknown or deleted is
    shown as a root."""
    rows = await FolderRepository(session).live()
    # Plain dicts in FolderNode's field order: the columns already have the fields' types (NOT NULL where the field is
    # not optional), and a model per node, validated or constructed, was most of the tree's CPU.
    nodes: dict[str, dict[str, Any]] = {
        r["id"]: {
            "id": r["id"],
            "name": r["name"],
            "code": r["code"],
            "external_code": r["external_code"],
            "parent_id": r["parent_id"],
            "path": "",
            "archived": r["archived"],
            "updated_at": r["updated_at"],
            "children": [],
        }
        for r in rows
    }
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"]) if node["parent_id"] else None
        if parent is None or _would_cycle(nodes, node):
            roots.append(node)
        else:
            parent["children"].append(node)
    for root in roots:
        _fill_paths(root, "")
    return {"items": roots, "total": len(nodes)}


def _would_cycle(nodes: dict[str, dict[str, Any]], node: dict[str, Any]) -> bool:
    seen = {node["id"]}
    current = node["parent_id"]
    while current is not None and current in nodes:
        if current in seen:
            return True
        seen.add(current)
        current = nodes[current]["parent_id"]
    return False


def _fill_paths(node: dict[str, Any], path: str) -> None:
    node["path"] = path
    below = f"{path}/{node['name']}" if path else node["name"]
    for child in node["children"]:
        _fill_paths(child, below)

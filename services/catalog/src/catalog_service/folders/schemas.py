"""What the folders API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class FolderNode(BaseModel):
    id: str
    name: str
    code: str | None
    external_code: str | None
    parent_id: str | None
    path: str = Field(description="Names of the ancestors joined by `/`, empty at the root.")
    archived: bool
    updated_at: datetime
    children: list[FolderNode] = Field(default_factory=list)


class FolderTree(BaseModel):
    items: list[FolderNode] = Field(description="Root folders, each with its subfolders.")
    total: int = Field(description="Number of folders in the tree.")

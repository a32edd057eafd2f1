"""What the stores API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class StoreOut(BaseModel):
    id: str
    name: str
    code: str | None
    external_code: str | None
    address: str | None
    parent_id: str | None
    archived: bool
    updated_at: datetime


class StorePage(BaseModel):
    items: list[StoreOut]
    total: int
    limit: int
    offset: int

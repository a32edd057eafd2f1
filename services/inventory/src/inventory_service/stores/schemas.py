"""What the stores API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crm_common.web.pages import Page


class StoreOut(BaseModel):
    id: str
    name: str
    code: str | None
    external_code: str | None
    address: str | None
    parent_id: str | None
    archived: bool
    updated_at: datetime


class StorePage(Page[StoreOut]):
    pass

"""What the stores API accepts and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from crm_common.web.pages import OffsetField, Page


class StoresQuery(BaseModel):
    """The query parameters of `GET /stores` (crm_common.web.query); `limit` absent: the service's default page size."""

    archived: bool | None = None
    limit: int | None = Field(default=None, ge=1)
    offset: OffsetField = 0


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

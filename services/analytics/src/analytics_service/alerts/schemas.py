"""Alert responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_common.web.pages import OffsetField, Page


class AlertQuery(BaseModel):
    """The query parameters of `GET /alerts` (crm_common.web.query)."""

    status: Literal["open", "acknowledged", "cleared", "all"] = "open"
    kind: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: OffsetField = 0


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    severity: str
    title: str
    message: str
    permission: str
    subject_id: str | None
    data: dict[str, Any]
    source: str
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AlertPage(Page[AlertOut]):
    pass

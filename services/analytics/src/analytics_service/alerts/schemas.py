"""Alert responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from crm_common.web.pages import Page


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

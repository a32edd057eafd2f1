"""HTTP shapes of sync jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SyncMode(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"
    STOCK = "stock"  # only re-read stock levels (the periodic reconcile)


class SyncStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: str = Field(default="default", min_length=1, max_length=64)
    mode: SyncMode = SyncMode.INCREMENTAL


class SyncJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    integration_id: str
    mode: str
    trigger: str
    status: str = Field(description="running, succeeded, failed or interrupted.")
    counts: dict[str, int] = Field(description="Events published per MoySklad type.")
    progress: dict[str, str] = Field(description="Per type: running, done or failed.")
    errors: list[dict[str, Any]]
    detail: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None = None

    @classmethod
    def of(cls, job: Any) -> SyncJobOut:
        out = cls.model_validate(job)
        if job.started_at and job.finished_at:
            out.duration_seconds = round((job.finished_at - job.started_at).total_seconds(), 3)
        return out


class SyncJobPage(BaseModel):
    items: list[SyncJobOut]
    total: int
    limit: int
    offset: int

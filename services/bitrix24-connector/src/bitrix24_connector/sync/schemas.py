"""HTTP shapes of Bitrix24 sync jobs and skipped records."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm_common.web.pages import Page


class SyncMode(StrEnum):
    FULL = "full"  # walk every record by id from the start
    INCREMENTAL = "incremental"  # records modified since the last mark (`>=DATE_MODIFY`)
    RECONCILE = "reconcile"  # list every id and delete downstream what Bitrix24 no longer has


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
    status: str = Field(description="running, succeeded, succeeded_with_skipped, failed or interrupted.")
    counts: dict[str, int] = Field(
        description="Events published per type (pipeline, section, contact, company, deal, product); for mode "
        "reconcile: listed, "
        "known, deleted, still_listed, requests and deleted.<kind>."
    )
    skipped: dict[str, dict[str, int]] = Field(default_factory=dict, description="Skipped records per type and reason.")
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


class SyncJobPage(Page[SyncJobOut]):
    pass


class SkippedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    integration_id: str
    job_id: uuid.UUID | None
    entity_type: str
    entity_id: str | None
    reason: str
    raw: Any = Field(description="The record as Bitrix24 returned it (with `_related` rows or requisites).")
    redriven_at: datetime | None
    created_at: datetime


class SkippedPage(Page[SkippedOut]):
    pass

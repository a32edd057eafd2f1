from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from crm_common.web.pages import OffsetField


class Status(StrEnum):
    PENDING = "pending"
    REDRIVEN = "redriven"
    DISCARDED = "discarded"


class DeadLettersQuery(BaseModel):
    """The query parameters of `GET /api/v1/admin/dead-letters` (crm_common.web.query); ``service_name`` is read
    from ``service``."""

    service_name: str | None = Field(default=None, alias="service", max_length=255)
    topic: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, max_length=64)
    status: Status | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: OffsetField = 0


class DeadLetterOut(BaseModel):
    id: str = Field(description="`<partition>-<offset>` on the dead-letter topic")
    service: str = Field(description="consumer group that could not apply it (services name groups after themselves)")
    topic: str = Field(description="original topic")
    reason: str
    detail: str
    key: str | None
    dead_lettered_at: datetime
    size: int = Field(description="bytes of the original message")
    status: Status
    redrives: int
    discard_reason: str | None


class DeadLetterDetail(DeadLetterOut):
    value_base64: str = Field(description="the original message bytes, unchanged")
    key_base64: str | None


class DiscardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="why it will not be re-driven")


class RedriveFilter(BaseModel):
    """Re-drive every pending dead letter that matches; no filter means all pending ones."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, max_length=255)
    topic: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, max_length=64)


class RedriveResult(BaseModel):
    redriven: list[str]

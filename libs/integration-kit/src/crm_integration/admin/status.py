"""How an integration is doing, for the admin list: its last finished sync, its next scheduled run, its health."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from crm_integration.jobs import SyncTables
from crm_integration.scheduler import SyncScheduler

Health = Literal["ok", "degraded", "failing", "never_synced", "disabled"]

HEALTH_OF_STATUS: dict[str, Health] = {
    "succeeded": "ok",
    "succeeded_with_skipped": "degraded",
    "failed": "failing",
    "interrupted": "degraded",
}


class LastSync(BaseModel):
    job_id: uuid.UUID
    mode: str
    status: str = Field(description="`succeeded`, `succeeded_with_skipped`, `failed` or `interrupted`.")
    finished_at: datetime
    detail: str | None = None


async def last_sync(session: AsyncSession, tables: SyncTables[Any, Any], integration_id: str) -> LastSync | None:
    job = await tables.jobs(session).latest_finished(integration_id)
    if job is None or job.finished_at is None:
        return None
    return LastSync(job_id=job.id, mode=job.mode, status=job.status, finished_at=job.finished_at, detail=job.detail)


def health(enabled: bool, last: LastSync | None) -> Health:
    if not enabled:
        return "disabled"
    if last is None:
        return "never_synced"
    return HEALTH_OF_STATUS.get(last.status, "degraded")


def next_run(enabled: bool, scheduler: SyncScheduler | None) -> datetime | None:
    """When the scheduler will sync it next; ``None`` when it is disabled or no scheduler runs in this process."""
    if not enabled or scheduler is None:
        return None
    return scheduler.next_round_at

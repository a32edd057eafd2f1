"""``/api/v1/admin/sync``: start a sync, list and read sync jobs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, require_permission
from moysklad_connector.deps import db_session, sync_service
from moysklad_connector.sync.redrive import redrive
from moysklad_connector.sync.repository import DeadLetterRepository, JobRepository
from moysklad_connector.sync.schemas import DeadLetterOut, DeadLetterPage, SyncJobOut, SyncJobPage, SyncStartIn
from moysklad_connector.sync.service import SyncService

router = APIRouter(prefix="/api/v1/admin/sync", tags=["sync"])
AUTH_ERRORS = (Unauthorized, Forbidden)


@router.post(
    "/start",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncJobOut,
    responses=error_responses(*AUTH_ERRORS, NotFound, Conflict),
    dependencies=[Depends(require_permission(Permission.SYNC_RUN))],
)
async def start_sync(body: SyncStartIn | None = None, service: SyncService = Depends(sync_service)) -> SyncJobOut:
    """Start a sync of an integration now."""
    body = body or SyncStartIn()
    job = await service.start(body.integration_id, body.mode.value, "manual")
    return SyncJobOut.of(job)


@router.get(
    "/jobs",
    response_model=SyncJobPage,
    responses=error_responses(*AUTH_ERRORS),
    dependencies=[Depends(require_permission(Permission.SYNC_RUN))],
)
async def list_jobs(
    integration_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    session: AsyncSession = Depends(db_session, scope="function"),
) -> SyncJobPage:
    """List sync jobs, newest first."""
    jobs, total = await JobRepository(session).page(integration_id, limit, offset)
    return SyncJobPage(items=[SyncJobOut.of(j) for j in jobs], total=total, limit=limit, offset=offset)


@router.get(
    "/jobs/{job_id}",
    response_model=SyncJobOut,
    responses=error_responses(*AUTH_ERRORS, NotFound),
    dependencies=[Depends(require_permission(Permission.SYNC_RUN))],
)
async def get_job(job_id: uuid.UUID, session: AsyncSession = Depends(db_session, scope="function")) -> SyncJobOut:
    """Read one sync job."""
    job = await JobRepository(session).get(job_id)
    if job is None:
        raise NotFound(f"sync job {job_id} not found")
    return SyncJobOut.of(job)


@router.get(
    "/skipped",
    response_model=DeadLetterPage,
    responses=error_responses(*AUTH_ERRORS),
    dependencies=[Depends(require_permission(Permission.ADMIN_INTEGRATIONS))],
)
async def list_skipped(
    integration_id: str | None = None,
    job_id: uuid.UUID | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    session: AsyncSession = Depends(db_session, scope="function"),
) -> DeadLetterPage:
    """List objects a sync skipped, with the raw object and the reason, newest first."""
    rows, total = await DeadLetterRepository(session).page(integration_id, limit, offset, job_id=job_id)
    return DeadLetterPage(
        items=[DeadLetterOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/skipped/{letter_id}/redrive",
    response_model=DeadLetterOut,
    responses=error_responses(*AUTH_ERRORS, NotFound, Conflict),
    dependencies=[Depends(require_permission(Permission.ADMIN_INTEGRATIONS))],
)
async def redrive_skipped(letter_id: int, service: SyncService = Depends(sync_service)) -> DeadLetterOut:
    """Read a skipped object again from MoySklad and publish it if it maps now."""
    return DeadLetterOut.model_validate(await redrive(service, letter_id))

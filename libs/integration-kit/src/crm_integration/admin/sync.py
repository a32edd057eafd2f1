"""``/api/v1/admin/sync``: start a sync, list and read sync jobs, list skipped objects and re-drive one.

The routes are the same for every source; the response shapes are the connector's (they document its types and
modes), passed as a :class:`JobSchemas`, and so is the re-drive (reading one object again from the source).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import OffsetField
from crm_common.web.query import QueryParameters
from crm_integration.admin.deps import DbSession, typed
from crm_integration.jobs import SyncTables
from crm_integration.service import JobService

AUTH_ERRORS = (Unauthorized, Forbidden)


class JobSchemas(Protocol):
    """A connector's shapes of its jobs and skipped objects, and its re-drive."""

    start: type[BaseModel]  # POST /start: ``integration_id`` and ``mode`` (an enum of the source's modes)
    job: type[BaseModel]  # one job; ``job.of(row)`` builds it
    job_page: type[BaseModel]  # Page[job]
    letter: type[BaseModel]  # one skipped object
    letter_page: type[BaseModel]  # Page[letter]
    redrive_description: str

    async def redrive(self, service: Any, letter_id: int) -> Any:
        """Read the object again from the source and publish it if it maps now; returns the updated record."""
        ...


class JobsQuery(BaseModel):
    """The query parameters of ``GET …/jobs`` (crm_common.web.query)."""

    integration_id: str | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: OffsetField = 0


class SkippedQuery(BaseModel):
    """The query parameters of ``GET …/skipped``."""

    integration_id: str | None = None
    job_id: uuid.UUID | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: OffsetField = 0


JOBS_QUERY = QueryParameters(JobsQuery)
SKIPPED_QUERY = QueryParameters(SkippedQuery)


def job_service(request: Request) -> JobService[Any]:
    service: JobService[Any] = request.app.state.sync_service
    return service


Jobs = Annotated[JobService[Any], Depends(job_service)]


def sync_router(schemas: JobSchemas, tables: SyncTables[Any, Any], prefix: str = "/api/v1/admin/sync") -> APIRouter:
    """The routes under ``prefix`` (a second connector behind the same gateway takes its own)."""
    router = APIRouter(prefix=prefix, tags=["sync"])
    of: Any = schemas.job

    async def start_sync(service: Jobs, body: Any = None) -> Any:
        """Start a sync of an integration now."""
        body = body or schemas.start()
        job = await service.start(body.integration_id, body.mode.value, "manual")
        return of.of(job)

    async def list_jobs(session: DbSession, query: Annotated[JobsQuery, Depends(JOBS_QUERY)]) -> Any:
        """List sync jobs, newest first."""
        limit, offset = query.limit, query.offset
        jobs, total = await tables.jobs(session).page(query.integration_id, limit, offset)
        return schemas.job_page(items=[of.of(j) for j in jobs], total=total, limit=limit, offset=offset)

    async def get_job(job_id: uuid.UUID, session: DbSession) -> Any:
        """Read one sync job."""
        job = await tables.jobs(session).get(job_id)
        if job is None:
            raise NotFound(f"sync job {job_id} not found")
        return of.of(job)

    async def list_skipped(session: DbSession, query: Annotated[SkippedQuery, Depends(SKIPPED_QUERY)]) -> Any:
        """List objects a sync skipped, with the raw object and the reason, newest first."""
        limit, offset = query.limit, query.offset
        rows, total = await tables.dead_letters(session).page(query.integration_id, limit, offset, job_id=query.job_id)
        items = [schemas.letter.model_validate(r) for r in rows]
        return schemas.letter_page(items=items, total=total, limit=limit, offset=offset)

    async def redrive_skipped(letter_id: int, service: Jobs) -> Any:
        return schemas.letter.model_validate(await schemas.redrive(service, letter_id))

    run = [Depends(require_permission(Permission.SYNC_RUN))]
    admin = [Depends(require_permission(Permission.ADMIN_INTEGRATIONS))]
    router.post(
        "/start",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=schemas.job,
        responses=error_responses(*AUTH_ERRORS, NotFound, Conflict),
        dependencies=run,
    )(typed(start_sync, body=schemas.start | None))
    router.get("/jobs", response_model=schemas.job_page, responses=error_responses(*AUTH_ERRORS), dependencies=run)(
        list_jobs
    )
    router.get(
        "/jobs/{job_id}",
        response_model=schemas.job,
        responses=error_responses(*AUTH_ERRORS, NotFound),
        dependencies=run,
    )(get_job)
    router.get(
        "/skipped", response_model=schemas.letter_page, responses=error_responses(*AUTH_ERRORS), dependencies=admin
    )(list_skipped)
    router.post(
        "/skipped/{letter_id}/redrive",
        response_model=schemas.letter,
        responses=error_responses(*AUTH_ERRORS, NotFound, Conflict),
        dependencies=admin,
        description=schemas.redrive_description,
    )(redrive_skipped)
    return router

"""``/api/v1/admin/dead-letters`` (permission ``admin:dead-letters``): what consumers could not apply, and what to do
with it after a fix. Every re-drive and discard is written to the audit trail (``/api/v1/admin/audit``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from auth_service.deadletters import service
from auth_service.deadletters.schemas import (
    DeadLetterDetail,
    DeadLetterOut,
    DeadLettersQuery,
    DiscardIn,
    RedriveFilter,
    RedriveResult,
)
from auth_service.deps import Client, Context, DbSession
from crm_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from crm_common.security.jwt import Principal
from crm_common.security.permissions import Permission, require_permission
from crm_common.web.pages import Page
from crm_common.web.query import QueryParameters

router = APIRouter(prefix="/api/v1/admin/dead-letters", tags=["admin: dead letters"])
Operator = Annotated[Principal, Depends(require_permission(Permission.ADMIN_DEAD_LETTERS))]
ERRORS = (Unauthorized, Forbidden, ServiceUnavailable)
DEAD_LETTERS_QUERY = QueryParameters(DeadLettersQuery)


@router.get("", responses=error_responses(*ERRORS, ValidationFailed))
async def list_dead_letters(
    operator: Operator,
    ctx: Context,
    session: DbSession,
    query: Annotated[DeadLettersQuery, Depends(DEAD_LETTERS_QUERY)],
) -> Page[DeadLetterOut]:
    """List dead letters, newest first, filtered by service (consumer group), original topic, reason or status."""
    filters = RedriveFilter(service=query.service_name, topic=query.topic, reason=query.reason)
    found = await service.list_letters(session, ctx.settings.kafka_bootstrap_servers, filters, query.status)
    limit, offset = query.limit, query.offset
    return Page(items=found[offset : offset + limit], total=len(found), limit=limit, offset=offset)


@router.post("/redrive", responses=error_responses(*ERRORS, Conflict, ValidationFailed))
async def redrive_all(
    body: RedriveFilter, operator: Operator, ctx: Context, session: DbSession, client: Client
) -> RedriveResult:
    """Re-drive every pending dead letter that matches the filter to its original topic."""
    kafka = ctx.settings.kafka_bootstrap_servers
    return RedriveResult(redriven=await service.redrive_matching(session, kafka, operator, client, body))


@router.get("/{letter_id}", responses=error_responses(*ERRORS, NotFound))
async def get_dead_letter(letter_id: str, operator: Operator, ctx: Context, session: DbSession) -> DeadLetterDetail:
    """Show one dead letter with its original bytes (base64)."""
    return await service.get_letter(session, ctx.settings.kafka_bootstrap_servers, letter_id)


@router.post("/{letter_id}/redrive", responses=error_responses(*ERRORS, NotFound, Conflict))
async def redrive_one(
    letter_id: str, operator: Operator, ctx: Context, session: DbSession, client: Client
) -> DeadLetterOut:
    """Re-drive one dead letter: its original bytes and key, published again to its original topic."""
    return await service.redrive_one(session, ctx.settings.kafka_bootstrap_servers, operator, client, letter_id)


@router.post("/{letter_id}/discard", responses=error_responses(*ERRORS, NotFound, Conflict, ValidationFailed))
async def discard_dead_letter(
    letter_id: str, body: DiscardIn, operator: Operator, ctx: Context, session: DbSession, client: Client
) -> DeadLetterOut:
    """Discard one dead letter with a reason: it is never re-driven."""
    kafka = ctx.settings.kafka_bootstrap_servers
    return await service.discard(session, kafka, operator, client, letter_id, body.reason)

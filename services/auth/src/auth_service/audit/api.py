"""``/api/v1/admin/audit``: the trail of admin actions (permission ``admin:users``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auth_service.audit.repository import AuditRepository
from auth_service.deps import Admin, DbSession
from crm_common.errors import Forbidden, Unauthorized, error_responses
from crm_common.web.pages import OffsetField, Page
from crm_common.web.query import QueryParameters

router = APIRouter(prefix="/api/v1/admin/audit", tags=["admin: audit"])


class AuditQuery(BaseModel):
    """The query parameters of `GET /api/v1/admin/audit` (crm_common.web.query)."""

    limit: int = Field(default=100, ge=1, le=500)
    offset: OffsetField = 0
    actor_id: uuid.UUID | None = None
    action: str | None = Field(default=None, max_length=64)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=128)


AUDIT_QUERY = QueryParameters(AuditQuery)


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str | None
    action: str
    target_type: str
    target_id: str
    ip: str
    request_id: str | None
    details: dict[str, Any]


@router.get("", responses=error_responses(Unauthorized, Forbidden))
async def list_audit(
    admin: Admin, session: DbSession, query: Annotated[AuditQuery, Depends(AUDIT_QUERY)]
) -> Page[AuditEntryOut]:
    """List admin actions, newest first."""
    rows, total = await AuditRepository(session).page(
        limit=query.limit,
        offset=query.offset,
        actor_id=query.actor_id,
        action=query.action,
        target_type=query.target_type,
        target_id=query.target_id,
    )
    items = [AuditEntryOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=query.limit, offset=query.offset)

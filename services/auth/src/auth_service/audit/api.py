"""``/api/v1/admin/audit``: the trail of admin actions (permission ``admin:users``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from auth_service.audit.repository import AuditRepository
from auth_service.deps import Admin, DbSession
from crm_common.errors import Forbidden, Unauthorized, error_responses
from crm_common.web.pages import Offset, Page

router = APIRouter(prefix="/api/v1/admin/audit", tags=["admin: audit"])


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
    admin: Admin,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
    actor_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[AuditEntryOut]:
    """List admin actions, newest first."""
    rows, total = await AuditRepository(session).page(
        limit=limit, offset=offset, actor_id=actor_id, action=action, target_type=target_type, target_id=target_id
    )
    return Page(items=[AuditEntryOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)

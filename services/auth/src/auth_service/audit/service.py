"""Writing the audit trail, in the same transaction as the action it records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.audit.models import AuditEntry
from auth_service.audit.repository import AuditRepository
from auth_service.context import ClientInfo
from auth_service.db import utcnow
from crm_common.security.jwt import Principal

# Keys that must never reach the trail, whatever a caller passes in ``details``.
_SECRET_WORDS = ("password", "token", "secret", "hash")


def _scrub(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


async def record(
    session: AsyncSession,
    actor: Principal | None,
    client: ClientInfo,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID,
    details: dict[str, Any] | None = None,
) -> None:
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=uuid.UUID(actor.user_id) if actor else None,
        actor_email=actor.email if actor else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ip=client.ip[:64],
        request_id=client.request_id,
        details=_scrub(details or {}),
    )
    await AuditRepository(session).add(entry)

"""Use cases of the counterparty dimension."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.customers.models import CounterpartyDim
from analytics_service.projections.checkpoints import advance
from analytics_service.projections.versioned import upsert_if_newer
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Counterparty, Deleted

PROJECTION = "customers"


async def apply_counterparty(session: AsyncSession, event: EventEnvelope) -> bool:
    c = Counterparty.model_validate(event.payload)
    row: dict[str, object] = {
        "id": c.id,
        "name": c.name,
        "kind": c.kind.value,
        "inn": c.inn,
        "email": c.email,
        "phone": c.phone,
        "created_at": c.created_at,
        "deleted": False,
        "source_version": event.source_version,
    }
    return await _write(session, event, row)


async def apply_counterparty_deleted(session: AsyncSession, event: EventEnvelope) -> bool:
    d = Deleted.model_validate(event.payload)
    return await _write(session, event, {"id": d.id, "deleted": True, "source_version": event.source_version})


async def _write(session: AsyncSession, event: EventEnvelope, row: dict[str, object]) -> bool:
    written = await upsert_if_newer(session, CounterpartyDim.__table__, row)
    if written:
        await advance(session, PROJECTION, event.occurred_at)
    return written

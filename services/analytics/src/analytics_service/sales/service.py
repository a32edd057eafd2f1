"""Use cases of the sales projection: apply one document version or one delete.

A document event replaces everything the previous version of that document contributed: its facts are deleted (and
their roll-up contribution taken away), then the new version's facts are inserted (and added). An older or repeated
version changes nothing, so redelivery and replay are harmless and order does not matter.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.projections.checkpoints import advance
from analytics_service.sales.facts import SALES_TOPIC_KINDS, RollupDelta, build_facts, business_day
from analytics_service.sales.repository import SalesRepository
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Document
from crm_common.messaging.consumer import PoisonEvent

PROJECTION = "sales"


def _header(document: Document, version: int, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": document.id,
        "kind": document.kind.value,
        "number": document.number,
        "state": document.state,
        "applicable": document.applicable,
        "deleted": False,
        "moment": document.moment,
        "business_day": business_day(document, zone),
        "counterparty_id": document.counterparty_id,
        "store_id": document.store_id,
        "organization_id": document.organization_id,
        "currency": document.currency,
        "total": document.total,
        "positions": len(document.positions),
        "source_version": version,
    }


def parse_document(event: EventEnvelope) -> Document:
    document = Document.model_validate(event.payload)
    if document.id != event.entity_id:
        raise PoisonEvent(f"payload id {document.id!r} differs from entity id {event.entity_id!r}")
    if document.kind not in SALES_TOPIC_KINDS or f"{document.kind.value}.upserted" != event.event_type:
        raise PoisonEvent(f"a {document.kind.value} document cannot arrive as {event.event_type}")
    return document


async def apply_document(session: AsyncSession, event: EventEnvelope, zone: ZoneInfo) -> bool:
    """Apply `<kind>.upserted`; return whether anything changed."""
    document = parse_document(event)
    repo = SalesRepository(session)
    if not await repo.claim_version(_header(document, event.source_version, zone)):
        return False
    await _replace_facts(repo, document.id, build_facts(document, zone))
    await advance(session, PROJECTION, event.occurred_at)
    return True


async def apply_document_deleted(session: AsyncSession, event: EventEnvelope) -> bool:
    """Apply `<kind>.deleted`: the document's facts go, a tombstone stays so older versions remain ignored."""
    deleted = Deleted.model_validate(event.payload)
    kind = event.event_type.split(".", 1)[0]
    tombstone = {
        "id": deleted.id,
        "kind": kind,
        "applicable": False,
        "deleted": True,
        "source_version": event.source_version,
    }
    repo = SalesRepository(session)
    if not await repo.claim_version(tombstone):
        return False
    await _replace_facts(repo, deleted.id, [])
    await advance(session, PROJECTION, event.occurred_at)
    return True


async def _replace_facts(repo: SalesRepository, document_id: str, new_facts: list[dict[str, Any]]) -> None:
    old_facts = await repo.take_facts(document_id)
    delta = RollupDelta()
    delta.add(old_facts, -1)
    delta.add(new_facts, 1)
    await repo.insert_facts(new_facts)
    await repo.apply_rollups(delta)

"""Use cases of the sales projection: apply a batch of document versions and deletes (or one of them).

A document's newest version replaces everything its previous version contributed: its old facts are taken out of the
delta roll-ups and deleted, the new version's facts inserted and added in, and every other roll-up row either set of
facts falls into is recomputed (see `sales.rollups`). An older
or repeated version changes nothing, so redelivery and replay are harmless and order does not matter. A batch does
the same work once per batch instead of once per event: one header upsert, one fact delete and insert, and one
recompute per roll-up for all the keys the batch touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.checkpoints.repository import advance, hold_sales_rollup_lock, latest_moment
from analytics_service.sales.facts import SALES_TOPIC_KINDS, build_facts, business_day
from analytics_service.sales.repository import SalesRepository
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Document
from crm_common.messaging.consumer import PoisonEvent
from crm_common.versioned import Versioned, reduce_versions

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
    document = event.parsed(Document)
    if document.id != event.entity_id:
        raise PoisonEvent(f"payload id {document.id!r} differs from entity id {event.entity_id!r}")
    if document.kind not in SALES_TOPIC_KINDS or f"{document.kind.value}.upserted" != event.event_type:
        raise PoisonEvent(f"a {document.kind.value} document cannot arrive as {event.event_type}")
    if len({p.id for p in document.positions}) != len(document.positions):
        raise PoisonEvent(f"document {document.id!r} lists a position id twice")
    return document


def prepare_document(event: EventEnvelope, zone: ZoneInfo) -> Versioned:
    """Validate `<kind>.upserted` (PoisonEvent if it can never apply) into the header row it would write."""
    document = parse_document(event)
    header = _header(document, event.source_version, zone)
    return Versioned(document.id, event.source_version, header, False, event.occurred_at, document)


def prepare_document_deleted(event: EventEnvelope) -> Versioned:
    """`<kind>.deleted`: a tombstone stays, so older versions remain ignored; the document's facts go."""
    deleted = event.parsed(Deleted)
    kind = event.event_type.split(".", 1)[0]
    tombstone = {"id": deleted.id, "kind": kind, "applicable": False, "deleted": True}
    row = {**tombstone, "source_version": event.source_version}
    return Versioned(deleted.id, event.source_version, row, True, event.occurred_at)


def prepare(event: EventEnvelope, zone: ZoneInfo) -> Versioned:
    if event.event_type.endswith(".deleted"):
        return prepare_document_deleted(event)
    return prepare_document(event, zone)


async def apply_prepared(session: AsyncSession, items: Sequence[Versioned], zone: ZoneInfo) -> int:
    """Apply document versions in Kafka order; return how many documents changed."""
    reduced = reduce_versions(items)
    repo = SalesRepository(session)
    await hold_sales_rollup_lock(session, repo.schema)
    changed = await repo.write_headers(reduced)
    if not changed:
        return 0
    # A document seen for the first time has no facts to take away.
    seen = [doc for doc, was_new in changed.items() if not was_new]
    emptied = await repo.take_out_of_rollups(seen)
    keys = await repo.take_fact_keys(seen)
    facts: list[dict[str, Any]] = []
    for doc in changed:
        final = reduced.final[doc]
        if not final.tombstone:
            facts += build_facts(final.payload, zone)
    await repo.insert_facts(facts)
    await repo.add_into_rollups(sorted({f["document_id"] for f in facts}), emptied)
    await repo.recompute_rollups(keys + facts)  # a fact holds its key columns (and more, unread)
    await advance(session, PROJECTION, latest_moment(reduced.final[d] for d in changed), steps=len(changed))
    return len(changed)


async def apply_document(session: AsyncSession, event: EventEnvelope, zone: ZoneInfo) -> bool:
    """Apply one `<kind>.upserted`; return whether anything changed."""
    return bool(await apply_prepared(session, [prepare_document(event, zone)], zone))


async def apply_document_deleted(session: AsyncSession, event: EventEnvelope, zone: ZoneInfo) -> bool:
    """Apply one `<kind>.deleted`; return whether anything changed."""
    return bool(await apply_prepared(session, [prepare_document_deleted(event)], zone))

"""Order-safe, idempotent writes of entity state.

Every entity row keeps the ``source_version`` of the event that produced it. A write applies only when its version is
strictly newer, in the same statement (``INSERT .. ON CONFLICT DO UPDATE .. WHERE``), so an older or repeated event
changes nothing even when two consumers race. A delete leaves a tombstone (``deleted_at`` set) carrying its version,
so an older upsert that arrives after the delete cannot bring the entity back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.consumer import PoisonEvent


async def upsert_if_newer(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert or overwrite the row ``values["id"]`` unless it holds an equal or newer version; True if written."""
    stmt = insert(table).values(**values)
    changes = {name: stmt.excluded[name] for name in values if name != "id"}
    guarded = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_=changes,
        where=table.c.source_version < stmt.excluded.source_version,
    ).returning(table.c.id)
    return (await session.execute(guarded)).first() is not None


async def tombstone_if_newer(
    session: AsyncSession,
    table: Table,
    *,
    entity_id: str,
    version: int,
    deleted_at: datetime,
    placeholder: dict[str, Any],
) -> bool:
    """Mark ``entity_id`` deleted at ``version``; a delete of an entity never seen leaves a tombstone with
    ``placeholder`` values for the required columns. True if the tombstone was written."""
    stmt = insert(table).values(id=entity_id, source_version=version, deleted_at=deleted_at, **placeholder)
    guarded = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={"source_version": stmt.excluded.source_version, "deleted_at": stmt.excluded.deleted_at},
        where=table.c.source_version < stmt.excluded.source_version,
    ).returning(table.c.id)
    return (await session.execute(guarded)).first() is not None


def ensure_same_entity(event: EventEnvelope, payload_id: str) -> None:
    """The envelope's key and the payload must name one entity; otherwise the event can never apply."""
    if event.entity_id != payload_id:
        raise PoisonEvent(f"entity_id {event.entity_id!r} does not match payload id {payload_id!r}")

"""The inbox: a row per applied event, written in the same transaction as the event's effect.

A redelivered event finds its row and is skipped, so an effect happens once even though Kafka delivers at least once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession


def inbox_table(metadata: MetaData) -> Table:
    """Declare the inbox in a service's metadata (and so in its migrations)."""
    return Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim(session: AsyncSession, table: Table, consumer: str, event_id: uuid.UUID) -> bool:
    """Record ``event_id`` for ``consumer``; False if it was already applied."""
    stmt = (
        insert(table).values(consumer=consumer, event_id=event_id).on_conflict_do_nothing().returning(table.c.event_id)
    )
    return (await session.execute(stmt)).first() is not None

"""Transactional outbox: an event is written in the same transaction as the state change that causes it, and a
relay publishes it afterwards. A crash between commit and publish only delays the event; nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, Table, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_common.logging import get_logger
from crm_common.messaging.publisher import EventPublisher

log = get_logger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    )


async def enqueue(session: AsyncSession, table: Table, event: EventEnvelope) -> None:
    """Stage ``event`` in the caller's transaction."""
    await enqueue_many(session, table, [event])


async def enqueue_many(session: AsyncSession, table: Table, events: Sequence[EventEnvelope]) -> None:
    """Stage ``events`` in the caller's transaction, in this order, with one statement."""
    if events:
        await session.execute(table.insert(), [{"event": event.model_dump(mode="json")} for event in events])


class OutboxRelay:
    """Publishes staged events in order, marking each batch published in the same transaction that read it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: EventPublisher,
        *,
        interval: float = 0.5,
        batch: int = 200,
    ) -> None:
        self.sessions, self.table, self.publisher = sessions, table, publisher
        self.interval, self.batch = interval, batch
        self._task: asyncio.Task[None] | None = None

    async def relay_once(self) -> int:
        async with transaction(self.sessions) as session:
            rows = (
                await session.execute(
                    select(self.table.c.id, self.table.c.event)
                    .where(self.table.c.published_at.is_(None))
                    .order_by(self.table.c.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self.publisher.publish_many([EventEnvelope.model_validate(r.event) for r in rows])
            await session.execute(
                update(self.table).where(self.table.c.id.in_([r.id for r in rows])).values(published_at=func.now())
            )
            return len(rows)

    async def run(self) -> None:
        while True:
            try:
                while await self.relay_once() == self.batch:
                    pass
            except Exception as exc:  # keep relaying after Kafka or Postgres come back
                log.warning("outbox relay failed, retrying", error=repr(exc)[:300])
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

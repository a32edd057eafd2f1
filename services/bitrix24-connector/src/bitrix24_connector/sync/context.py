"""What one sync job carries through its steps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.tables import TABLES
from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_integration.jobs import Cursor, DeadLetterIn
from crm_integration.sinks import EventSink


@dataclass
class SyncContext:
    integration_id: str
    job_id: uuid.UUID
    client: Bitrix24Client
    sessions: async_sessionmaker[AsyncSession]
    sink: EventSink
    overlap: timedelta = timedelta(0)
    skipped: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def portal(self) -> str:
        return self.client.portal


async def published_digest(ctx: SyncContext, name: str) -> str | None:
    """What a type read whole (funnels, sections) last published: the digest kept in its cursor."""
    async with transaction(ctx.sessions) as session:
        return (await TABLES.cursors(session).get(ctx.integration_id, name)).last_id


async def publish_whole(
    ctx: SyncContext,
    name: str,
    seen_at: datetime,
    digest: str,
    events: Sequence[EventEnvelope],
    letters: Sequence[DeadLetterIn],
) -> int:
    """Publish a type read whole, then keep its digest, counts and skipped records with the job."""
    await ctx.sink.publish(list(events))
    async with transaction(ctx.sessions) as session:
        cursor = Cursor(seen_at.isoformat(), digest)
        await TABLES.save_page(session, ctx.integration_id, ctx.job_id, name, cursor, len(events), list(letters))
    ctx.skipped += len(letters)
    return len(events)

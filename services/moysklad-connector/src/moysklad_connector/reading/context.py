"""What one MoySklad job carries while it reads: its ids, client, sessions, sink, lookups and tallies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_integration.sinks import EventSink
from moysklad_connector.client import MoySkladClient
from moysklad_connector.mapping.lookups import Lookups


@dataclass
class SyncContext:
    integration_id: str
    job_id: uuid.UUID
    client: MoySkladClient
    sessions: async_sessionmaker[AsyncSession]
    sink: EventSink
    lookups: Lookups = field(default_factory=Lookups)
    page_size: int = 1000
    account_id: str | None = None
    skipped: int = 0  # objects kept as dead letters in this job
    overlap: timedelta = timedelta(0)  # incremental cursors start this much earlier (late `updated` values)

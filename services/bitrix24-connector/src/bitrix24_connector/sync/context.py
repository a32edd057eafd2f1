"""What one sync job carries through its steps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.client import Bitrix24Client
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

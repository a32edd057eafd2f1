"""Runs syncs by itself: a first full sync, then an incremental one every ``MOYSKLAD_SYNC_INTERVAL_MINUTES``.

A webhook (or anything else) can ``wake()`` it to run the next incremental sync sooner. A sync already running for an
integration (started on demand, or by another process) is skipped, never doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from moysklad_connector.log import log
from moysklad_connector.sync.repository import JobRepository
from moysklad_connector.sync.service import SyncService

IntegrationIds = Callable[[], Awaitable[list[str]]]


async def first_mode(sessions: async_sessionmaker[AsyncSession], integration_id: str) -> str:
    """``full`` until one full pass has finished; ``resume`` if the last full pass stopped part-way."""
    async with transaction(sessions) as session:
        jobs = JobRepository(session)
        for mode in ("full", "resume"):
            if await jobs.latest(integration_id, mode=mode, status="succeeded") is not None:
                return "incremental"
        last = await jobs.latest(integration_id)
    if last is not None and last.mode in ("full", "resume") and last.status in ("interrupted", "failed", "running"):
        return "resume"
    return "full"


class SyncScheduler:
    def __init__(self, service: SyncService, integration_ids: IntegrationIds, interval_seconds: float) -> None:
        self.service, self.integration_ids, self.interval = service, integration_ids, interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Run the next round now instead of at the end of the interval."""
        self._wake.set()

    async def run_round(self, *, first: bool) -> None:
        for integration_id in await self.integration_ids():
            mode = await first_mode(self.service.sessions, integration_id) if first else "incremental"
            try:
                await self.service.run(integration_id, mode, "schedule")
            except Conflict:
                log.info("sync already running, round skipped", integration_id=integration_id)
            except Exception as exc:  # a failed round is recorded on its job; the schedule goes on
                log.warning("scheduled sync failed", integration_id=integration_id, error=repr(exc)[:300])

    async def run(self) -> None:
        first = True
        while True:
            await self.run_round(first=first)
            first = False
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="sync-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

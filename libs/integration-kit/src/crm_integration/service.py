"""Sync jobs from start to finish, whatever the source: lock, record, run the connector's work, publish the outcome.

A connector subclasses :class:`JobService` and writes :meth:`JobService.work` (page its types, read what else it
reads); the kit does the rest: one sync per integration across replicas (the advisory lock), orphaned jobs marked
interrupted, cursors reset for a full pass, the job row kept current, metrics, the ``sync.*`` events and the ledger of
what was published (every event goes out through a :class:`~crm_integration.ledger.LedgerSink`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_integration.jobs import SUCCEEDED, SyncTables
from crm_integration.ledger import LedgerSink
from crm_integration.lock import IntegrationLock
from crm_integration.log import log
from crm_integration.outcomes import outcome_events
from crm_integration.sinks import EventSink
from crm_integration.tables import SyncJobRow

Job = TypeVar("Job", bound=SyncJobRow)
# What one job's work ends with: its status, a detail for people, and the source account it reached.
Outcome = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Source:
    """Who the connector is: its name on events (``moysklad``), for people (``MoySklad``), and what it syncs."""

    name: str
    title: str
    modes: tuple[str, ...]  # the modes its jobs take: full, incremental, resume, and its own
    ledger_kinds: frozenset[str]  # event prefixes with a ``<kind>.deleted``: what reconciliation can delete
    kept_cursors: tuple[str, ...] = ()  # cursors a full pass keeps (MoySklad: the audit feed's)


@dataclass(frozen=True)
class JobMetrics:
    """The connector's counters: jobs finished (labels mode, status) and the last success (label integration)."""

    jobs: Any
    last_success: Any


class JobService(Generic[Job]):
    """Starts and runs sync jobs; shared by the HTTP API, the scheduler and the CLI."""

    def __init__(
        self,
        source: Source,
        tables: SyncTables[Job, Any],
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        sink: EventSink,
        metrics: JobMetrics | None = None,
    ) -> None:
        self.source, self.tables, self.engine, self.sessions = source, tables, engine, sessions
        # Reconciliation diffs against what went out.
        self.sink: EventSink = LedgerSink(sink, sessions, tables.published, source.ledger_kinds)
        self.metrics = metrics
        self.tasks: set[asyncio.Task[Job]] = set()

    # ---- what a connector writes ----------------------------------------------------------------------------------

    async def work(self, job: Job, types: Collection[str] | None) -> Outcome:
        """Run the job (``types``: only these entity types, when a webhook named them)."""
        raise NotImplementedError

    async def check_integration(self, session: AsyncSession, integration_id: str) -> None:
        """Raise NotFound for an integration id the connector does not know."""

    async def finished(self, session: AsyncSession, job: Job, account_id: str | None) -> None:
        """In the transaction that records the outcome (MoySklad: remember the account an integration reaches)."""

    def describe(self, exc: BaseException) -> str:
        """The job's detail for a failure."""
        return f"{type(exc).__name__}: {exc}"[:2000]

    # ---- the kit's ---------------------------------------------------------------------------------------------------

    def lock(self, integration_id: str) -> IntegrationLock:
        return IntegrationLock(self.engine, integration_id, f"{self.source.name}-sync")

    async def begin(self, integration_id: str, mode: str, trigger: str) -> tuple[Job, IntegrationLock]:
        """Take the integration's lock and record a running job; Conflict if a sync of it is running."""
        if mode not in self.source.modes:
            raise ValueError(f"unknown sync mode {mode!r}")
        lock = self.lock(integration_id)
        if not await lock.try_acquire():
            async with transaction(self.sessions) as session:
                active = await self.tables.jobs(session).active(integration_id)
            raise Conflict(
                f"a sync of integration {integration_id!r} is already running"
                + (f" (job {active.id})" if active else "")
            )
        try:
            async with transaction(self.sessions) as session:
                await self.check_integration(session, integration_id)
                job = await self._record(session, integration_id, mode, trigger)
        except BaseException:
            await lock.release()
            raise
        return job, lock

    async def _record(self, session: AsyncSession, integration_id: str, mode: str, trigger: str) -> Job:
        jobs = self.tables.jobs(session)
        orphans = await jobs.interrupt_active(integration_id, "interrupted: its process stopped")
        if orphans:
            log.warning("orphaned sync jobs marked interrupted", jobs=[str(j) for j in orphans])
        if mode == "full":
            await self.tables.cursors(session).reset(integration_id, keep=self.source.kept_cursors)
        now = datetime.now(UTC)
        job = self.tables.job(
            integration_id=integration_id,  # type: ignore[call-arg]  # the connector's mapped subclass
            mode=mode,
            trigger=trigger,
            status="running",
            counts={},
            progress={},
            errors=[],
            started_at=now,
            heartbeat_at=now,
        )
        return await jobs.add(job)

    async def run(self, integration_id: str, mode: str, trigger: str, *, types: Collection[str] | None = None) -> Job:
        """Run one sync in the foreground (CLI, scheduler); ``types`` limits it to those entity types."""
        job, lock = await self.begin(integration_id, mode, trigger)
        return await self.execute(job, lock, types=types)

    async def start(self, integration_id: str, mode: str, trigger: str) -> Job:
        """Start a sync in the background and return its job at once (HTTP)."""
        job, lock = await self.begin(integration_id, mode, trigger)
        task = asyncio.create_task(self.execute(job, lock), name=f"sync-{job.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def execute(self, job: Job, lock: IntegrationLock, *, types: Collection[str] | None = None) -> Job:
        started = time.monotonic()
        status, detail, account_id = "failed", None, None
        try:
            status, detail, account_id = await self.work(job, types)
        except asyncio.CancelledError:
            status, detail = "interrupted", "stopped before it finished"
            raise
        except Exception as exc:  # the job records why; the process goes on
            detail = self.describe(exc)
            log.exception("sync job failed", job_id=str(job.id))
        finally:
            finished = await asyncio.shield(self._finish(job, status, detail, account_id, time.monotonic() - started))
            await asyncio.shield(lock.release())
        return finished

    async def _finish(self, job: Job, status: str, detail: str | None, account_id: str | None, seconds: float) -> Job:
        async with transaction(self.sessions) as session:
            finished = await self.tables.jobs(session).finish(job.id, status, detail)
            await self.finished(session, job, account_id)
        finished = finished or job
        if self.metrics is not None:
            self.metrics.jobs.labels(job.mode, status).inc()
            if status in SUCCEEDED:
                self.metrics.last_success.labels(job.integration_id).set(time.time())
        log.info(
            "sync job finished",
            job_id=str(job.id),
            status=status,
            seconds=round(seconds, 2),
            counts=finished.counts,
            detail=detail,
        )
        if status in (*SUCCEEDED, "failed"):
            events = outcome_events(
                finished,
                account_id or job.integration_id,
                source=self.source.name,
                title=f"{self.source.title} sync failed",
            )
            try:
                await self.sink.publish(events)
            except Exception as exc:
                log.warning("could not publish the sync outcome", job_id=str(job.id), error=repr(exc)[:300])
        return finished

    async def stop(self) -> None:
        """Cancel background jobs (they are marked interrupted and resume on the next start)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

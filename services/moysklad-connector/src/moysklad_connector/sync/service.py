"""Sync jobs from start to finish: lock, record, page every type, publish the outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope, deterministic_event_id, make_event
from moysklad_connector import metrics
from moysklad_connector.client import AuthenticationFailed, MoySkladClient, MoySkladError
from moysklad_connector.integrations import service as integrations
from moysklad_connector.log import log
from moysklad_connector.mapping.common import SOURCE, version_of
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.stock.service import sync_stock
from moysklad_connector.sync.deletions import AUDIT_CURSOR, sync_deletions
from moysklad_connector.sync.ledger import LedgerSink
from moysklad_connector.sync.lock import IntegrationLock
from moysklad_connector.sync.models import SyncJob
from moysklad_connector.sync.reconcile import reconcile
from moysklad_connector.sync.repository import SUCCEEDED, CursorRepository, JobRepository
from moysklad_connector.sync.runner import EventSink, SyncContext, load_lookups, sync_type
from moysklad_connector.sync.specs import DOCUMENT_TYPES, SPECS, EntitySpec

MODES = ("full", "incremental", "resume", "stock", "reconcile")


class SyncService:
    """Starts and runs sync jobs; shared by the HTTP API, the scheduler and the CLI."""

    def __init__(
        self,
        settings: ConnectorSettings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        sink: EventSink,
        *,
        specs: Sequence[EntitySpec] | None = None,
    ) -> None:
        self.settings, self.engine, self.sessions = settings, engine, sessions
        self.sink: EventSink = LedgerSink(sink, sessions)  # reconciliation diffs against what went out
        self.specs = list(specs or SPECS.values())
        self.tasks: set[asyncio.Task[SyncJob]] = set()

    async def begin(self, integration_id: str, mode: str, trigger: str) -> tuple[SyncJob, IntegrationLock]:
        """Take the integration's lock and record a running job; Conflict if a sync of it is running."""
        if mode not in MODES:
            raise ValueError(f"unknown sync mode {mode!r}")
        lock = IntegrationLock(self.engine, integration_id)
        if not await lock.try_acquire():
            async with transaction(self.sessions) as session:
                active = await JobRepository(session).active(integration_id)
            raise Conflict(
                f"a sync of integration {integration_id!r} is already running"
                + (f" (job {active.id})" if active else "")
            )
        try:
            async with transaction(self.sessions) as session:
                await integrations.resolve(session, self.settings, integration_id)  # NotFound for unknown ids
                jobs = JobRepository(session)
                orphans = await jobs.interrupt_active(integration_id, "interrupted: its process stopped")
                if orphans:
                    log.warning("orphaned sync jobs marked interrupted", jobs=[str(j) for j in orphans])
                if mode == "full":
                    await CursorRepository(session).reset(integration_id, keep=(AUDIT_CURSOR,))
                now = datetime.now(UTC)
                job = await jobs.add(
                    SyncJob(
                        integration_id=integration_id,
                        mode=mode,
                        trigger=trigger,
                        status="running",
                        counts={},
                        progress={},
                        errors=[],
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
        except BaseException:
            await lock.release()
            raise
        return job, lock

    async def run(
        self, integration_id: str, mode: str, trigger: str, *, types: Collection[str] | None = None
    ) -> SyncJob:
        """Run one sync in the foreground (CLI, scheduler); ``types`` limits it to those MoySklad entity types (the
        ones a webhook named; deletions and stock are read as always)."""
        job, lock = await self.begin(integration_id, mode, trigger)
        return await self.execute(job, lock, types=types)

    async def start(self, integration_id: str, mode: str, trigger: str) -> SyncJob:
        """Start a sync in the background and return its job at once (HTTP)."""
        job, lock = await self.begin(integration_id, mode, trigger)
        task = asyncio.create_task(self.execute(job, lock), name=f"sync-{job.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def execute(self, job: SyncJob, lock: IntegrationLock, *, types: Collection[str] | None = None) -> SyncJob:
        started = time.monotonic()
        status, detail, account_id = "failed", None, None
        specs = self.specs if types is None else [s for s in self.specs if s.type in types]
        try:
            status, detail, account_id = await self._page_everything(job, specs)
        except asyncio.CancelledError:
            status, detail = "interrupted", "stopped before it finished"
            raise
        except Exception as exc:  # the job records why; the process goes on
            detail = _describe(exc)
            log.exception("sync job failed", job_id=str(job.id))
        finally:
            finished = await asyncio.shield(self._finish(job, status, detail, account_id, time.monotonic() - started))
            await asyncio.shield(lock.release())
        return finished

    async def _page_everything(self, job: SyncJob, specs: Sequence[EntitySpec]) -> tuple[str, str | None, str | None]:
        async with transaction(self.sessions) as session:
            config = await integrations.resolve(session, self.settings, job.integration_id)
        async with MoySkladClient(config.credentials, integrations.pacing_from(self.settings)) as client:
            ctx = SyncContext(
                job.integration_id, job.id, client, self.sessions, self.sink, page_size=self.settings.page_size
            )
            if job.mode == "incremental":
                ctx.overlap = self.settings.cursor_overlap
            ctx.lookups, ctx.account_id = await load_lookups(client)
            if job.mode == "reconcile":
                return await self._reconcile(job, ctx)
            failures: list[str] = []
            moved = job.mode == "stock"
            if job.mode != "stock":
                results = await asyncio.gather(*(sync_type(ctx, s) for s in specs), return_exceptions=True)
                failures = await self._record_failures(job, specs, results)
                moved = job.mode != "incremental" or any(
                    spec.type in DOCUMENT_TYPES and result != 0 for spec, result in zip(specs, results, strict=True)
                )
                # Deletions after the upserts, so a consumer never sees a delete overtaken by an older upsert.
                try:
                    moved = await sync_deletions(ctx, job.started_at or datetime.now(UTC)) > 0 or moved
                except MoySkladError as exc:
                    failures.append(f"deletions: {_describe(exc)}")
            # Stock after the documents that moved it (a reading is newer than every document it reflects).
            if moved:
                try:
                    await sync_stock(ctx, self.settings.stock_report_mode)
                except MoySkladError as exc:
                    failures.append(f"stock: {_describe(exc)}")
        if failures:
            return "failed", "; ".join(failures)[:4000], ctx.account_id
        if ctx.skipped:
            return "succeeded_with_skipped", f"{ctx.skipped} objects skipped; see the job's `skipped`", ctx.account_id
        return "succeeded", None, ctx.account_id

    async def _reconcile(self, job: SyncJob, ctx: SyncContext) -> tuple[str, str | None, str | None]:
        tally = await reconcile(ctx)
        async with transaction(self.sessions) as session:
            await JobRepository(session).set_counts(job.id, tally.counts())
        return "succeeded", None, ctx.account_id

    async def _record_failures(
        self, job: SyncJob, specs: Sequence[EntitySpec], results: Sequence[int | BaseException]
    ) -> list[str]:
        failures: list[str] = []
        for spec, result in zip(specs, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                reason = f"{spec.name}: {_describe(result)}"
                failures.append(reason)
                async with transaction(self.sessions) as session:
                    await JobRepository(session).set_progress(job.id, spec.name, "failed", reason)
        return failures

    async def _finish(
        self, job: SyncJob, status: str, detail: str | None, account_id: str | None, seconds: float
    ) -> SyncJob:
        async with transaction(self.sessions) as session:
            finished = await JobRepository(session).finish(job.id, status, detail)
            await integrations.record_account(session, job.integration_id, account_id)
        finished = finished or job
        metrics.SYNC_JOBS.labels(job.mode, status).inc()
        if status in SUCCEEDED:
            metrics.LAST_SYNC.labels(job.integration_id).set(time.time())
        log.info(
            "sync job finished",
            job_id=str(job.id),
            status=status,
            seconds=round(seconds, 2),
            counts=finished.counts,
            detail=detail,
        )
        if status in (*SUCCEEDED, "failed"):
            try:
                await self.sink.publish(outcome_events(finished, account_id or job.integration_id))
            except Exception as exc:
                log.warning("could not publish the sync outcome", job_id=str(job.id), error=repr(exc)[:300])
        return finished

    async def stop(self) -> None:
        """Cancel background jobs (they are marked interrupted and resume on the next start)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AuthenticationFailed):
        return f"MoySklad rejected the credentials: {exc.message}"
    if isinstance(exc, MoySkladError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:2000]


def outcome_events(job: SyncJob, account_id: str) -> list[EventEnvelope]:
    """``sync.completed`` or ``sync.failed`` on SYNC, plus ``alert.raised`` (kind sync_failed) on failure."""
    finished_at = job.finished_at or datetime.now(UTC)
    version = version_of(finished_at)
    event_type = "sync.completed" if job.status in SUCCEEDED else "sync.failed"
    status = m.SyncStatus(
        job_id=str(job.id),
        integration_id=job.integration_id,
        status=job.status,
        detail=job.detail,
        counts=dict(job.counts),
        finished_at=finished_at,
    )
    events = [_event(event_type, account_id, str(job.id), version, status, finished_at)]
    if job.status == "failed":
        alert = m.Alert(
            id=f"sync_failed:{job.integration_id}",
            kind=m.AlertKind.SYNC_FAILED,
            severity="critical",
            title="MoySklad sync failed",
            message=(job.detail or "sync failed")[:1000],
            permission="admin:integrations",
            subject_id=job.integration_id,
            data={"job_id": str(job.id), "mode": job.mode},
            raised_at=finished_at,
        )
        events.append(_event("alert.raised", account_id, alert.id, version, alert, finished_at))
    return events


def _event(
    event_type: str, account_id: str, entity_id: str, version: int, payload: m.Canonical, when: datetime
) -> EventEnvelope:
    return make_event(
        event_type,
        source=SOURCE,
        account_id=account_id,
        entity_id=entity_id,
        source_version=version,
        payload=payload,
        occurred_at=when,
        event_id=deterministic_event_id(SOURCE, account_id, event_type, entity_id, version),
    )

"""MoySklad sync jobs: the kit's job lifecycle (crm_integration.service) around this connector's work: page every
type, read deletions from the audit feed, read stock when documents moved, or reconcile."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_integration.service import JobMetrics, JobService, Outcome, Source
from crm_integration.sinks import EventSink
from moysklad_connector import metrics
from moysklad_connector.client import AuthenticationFailed, MoySkladClient, MoySkladError
from moysklad_connector.integrations import service as integrations
from moysklad_connector.mapping.common import SOURCE
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.stock.service import sync_stock
from moysklad_connector.sync.deletions import AUDIT_CURSOR, sync_deletions
from moysklad_connector.sync.reconcile import reconcile
from moysklad_connector.sync.runner import load_lookups, sync_type
from moysklad_connector.sync.specs import DOCUMENT_TYPES, LEDGER_KINDS, SPECS, EntitySpec
from moysklad_connector.tables import TABLES, SyncJob

MODES = ("full", "incremental", "resume", "stock", "reconcile")
MOYSKLAD = Source(SOURCE, "MoySklad", MODES, LEDGER_KINDS, kept_cursors=(AUDIT_CURSOR,))


class SyncService(JobService[SyncJob]):
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
        super().__init__(MOYSKLAD, TABLES, engine, sessions, sink, JobMetrics(metrics.SYNC_JOBS, metrics.LAST_SYNC))
        self.settings = settings
        self.specs = list(specs or SPECS.values())

    async def check_integration(self, session: AsyncSession, integration_id: str) -> None:
        await integrations.resolve(session, self.settings, integration_id)  # NotFound for unknown ids

    async def finished(self, session: AsyncSession, job: SyncJob, account_id: str | None) -> None:
        await integrations.record_account(session, job.integration_id, account_id)

    def describe(self, exc: BaseException) -> str:
        if isinstance(exc, AuthenticationFailed):
            return f"MoySklad rejected the credentials: {exc.message}"
        if isinstance(exc, MoySkladError):
            return str(exc)
        return super().describe(exc)

    async def work(self, job: SyncJob, types: Collection[str] | None) -> Outcome:
        specs = self.specs if types is None else [s for s in self.specs if s.type in types]
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
                    failures.append(f"deletions: {self.describe(exc)}")
            # Stock after the documents that moved it (a reading is newer than every document it reflects).
            if moved:
                try:
                    await sync_stock(ctx, self.settings.stock_report_mode)
                except MoySkladError as exc:
                    failures.append(f"stock: {self.describe(exc)}")
        if failures:
            return "failed", "; ".join(failures)[:4000], ctx.account_id
        if ctx.skipped:
            return "succeeded_with_skipped", f"{ctx.skipped} objects skipped; see the job's `skipped`", ctx.account_id
        return "succeeded", None, ctx.account_id

    async def _reconcile(self, job: SyncJob, ctx: SyncContext) -> Outcome:
        tally = await reconcile(ctx)
        async with transaction(self.sessions) as session:
            await TABLES.jobs(session).set_counts(job.id, tally.counts())
        return "succeeded", None, ctx.account_id

    async def _record_failures(
        self, job: SyncJob, specs: Sequence[EntitySpec], results: Sequence[int | BaseException]
    ) -> list[str]:
        failures: list[str] = []
        for spec, result in zip(specs, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                reason = f"{spec.name}: {self.describe(result)}"
                failures.append(reason)
                async with transaction(self.sessions) as session:
                    await TABLES.jobs(session).set_progress(job.id, spec.name, "failed", reason)
        return failures

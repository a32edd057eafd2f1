"""Bitrix24 sync jobs: the kit's job lifecycle (crm_integration.service) around this connector's work: funnels,
then contacts, companies and deals (walked or incremental), the catalog's sections and products, then the deletes
the hints named; or a reconciliation."""

from __future__ import annotations

from collections.abc import Awaitable, Collection

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bitrix24_connector import metrics
from bitrix24_connector.client import AuthenticationFailed, Bitrix24Client, Bitrix24Error
from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.mapping.common import SOURCE
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.catalog import sync_sections
from bitrix24_connector.sync.context import SyncContext
from bitrix24_connector.sync.pipelines import sync_pipelines
from bitrix24_connector.sync.reconcile import KIND_TYPES, reconcile
from bitrix24_connector.sync.runner import sync_type
from bitrix24_connector.sync.specs import LEDGER_KINDS, PIPELINE, SECTION, SPECS
from bitrix24_connector.tables import TABLES, SyncJob
from crm_common.db import transaction
from crm_integration.service import JobMetrics, JobService, Outcome, Source
from crm_integration.sinks import EventSink

MODES = ("full", "incremental", "resume", "reconcile")
BITRIX24 = Source(SOURCE, "Bitrix24", MODES, LEDGER_KINDS)
DELETED = ".deleted"  # a hint type `<type>.deleted` (an ONCRM*DELETE event): reconcile that type's kind


def deleted_kinds(types: Collection[str]) -> list[str]:
    """The canonical kinds whose deletes the hinted types ask for (``contact.deleted`` -> ``counterparty``)."""
    named = {t.removesuffix(DELETED) for t in types if t.endswith(DELETED)}
    return [kind for kind, type_names in KIND_TYPES.items() if named & set(type_names)]


class SyncService(JobService[SyncJob]):
    """Starts and runs sync jobs; shared by the HTTP API, the scheduler and the CLI."""

    def __init__(
        self,
        settings: ConnectorSettings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        sink: EventSink,
    ) -> None:
        super().__init__(BITRIX24, TABLES, engine, sessions, sink, JobMetrics(metrics.SYNC_JOBS, metrics.LAST_SYNC))
        self.settings = settings

    async def check_integration(self, session: AsyncSession, integration_id: str) -> None:
        await integrations.resolve(session, self.settings, integration_id)

    async def finished(self, session: AsyncSession, job: SyncJob, account_id: str | None) -> None:
        await integrations.record_account(session, job.integration_id, account_id)

    def describe(self, exc: BaseException) -> str:
        if isinstance(exc, AuthenticationFailed):
            return f"Bitrix24 rejected the webhook: {exc.code} {exc.description}"
        if isinstance(exc, Bitrix24Error):
            return str(exc)[:2000]
        return super().describe(exc)

    async def work(self, job: SyncJob, types: Collection[str] | None) -> Outcome:
        async with transaction(self.sessions) as session:
            config = await integrations.resolve(session, self.settings, job.integration_id)
        async with Bitrix24Client(config.webhook_url, integrations.pacing_from(self.settings)) as client:
            ctx = SyncContext(job.integration_id, job.id, client, self.sessions, self.sink)
            if job.mode == "incremental":
                ctx.overlap = self.settings.cursor_overlap
            if job.mode == "reconcile":
                tally = await reconcile(ctx)
                async with transaction(self.sessions) as session:
                    await TABLES.jobs(session).set_counts(job.id, tally.counts())
                return "succeeded", None, ctx.portal
            failures = await self._upserts(ctx, types)
            kinds = deleted_kinds(types or ())
            if kinds and not failures:  # deletes after the upserts, never overtaken by an older upsert
                try:
                    await reconcile(ctx, kinds)
                except Bitrix24Error as exc:
                    failures.append(f"deletions: {self.describe(exc)}")
        if failures:
            return "failed", "; ".join(failures)[:4000], ctx.portal
        if ctx.skipped:
            return "succeeded_with_skipped", f"{ctx.skipped} records skipped; see the job's `skipped`", ctx.portal
        return "succeeded", None, ctx.portal

    async def _upserts(self, ctx: SyncContext, types: Collection[str] | None) -> list[str]:
        """Funnels first (deals refer to their stages), sections before products (their folders), then each type in
        turn: one portal, one leaky bucket."""
        wanted = None if types is None else {t.removesuffix(DELETED) for t in types}
        failures: list[str] = []
        if wanted is None or PIPELINE in wanted or "deal" in wanted:
            failures += await self._step(ctx, PIPELINE, sync_pipelines(ctx))
        if wanted is None or SECTION in wanted or "product" in wanted:
            failures += await self._step(ctx, SECTION, sync_sections(ctx))
        for spec in SPECS.values():
            if wanted is None or spec.type in wanted:
                failures += await self._step(ctx, spec.type, sync_type(ctx, spec))
        return failures

    async def _step(self, ctx: SyncContext, name: str, step: Awaitable[int]) -> list[str]:
        try:
            await step
        except Bitrix24Error as exc:
            reason = f"{name}: {self.describe(exc)}"
            async with transaction(self.sessions) as session:
                await TABLES.jobs(session).set_progress(ctx.job_id, name, "failed", reason)
            if isinstance(exc, AuthenticationFailed):
                raise
            return [reason]
        return []

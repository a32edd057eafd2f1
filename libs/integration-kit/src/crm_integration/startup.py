"""A connector's start-up declared as data, on ``crm_common.service`` (docs/architecture.md, "Start-up").

Every connector runs the same process, so a connector states only what makes it different (``Connector``: its
source, routers, job service, tables, webhook registration, periodic modes) and this module turns that into:

- a ``ServiceSpec``: the shared runtime with PostgreSQL for the connector's schema and Kafka always (a connector
  publishes; it consumes nothing), every topic of the contract created at start-up (``<SVC>_CREATE_TOPICS``), then
  two background tasks: the job service on ``app.state.sync_service`` (the admin API, the scheduler and the CLI share
  it), and the kit's scheduler on ``app.state.scheduler`` (webhook hints reach it there), started unless
  ``<SVC>_SCHEDULER_ENABLED`` is false. On the way out the scheduler stops first, then the running syncs, then the
  runtime closes;
- ``main``: ``crm-<source>-connector serve | migrate | sync``, where ``sync`` runs one job in the foreground and exits
  non-zero unless it succeeded (docs/integrations.md, "What a connector writes", step 8).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.cli import fail, preflight
from crm_common.db import create_engine, session_factory, transaction
from crm_common.errors import AppError
from crm_common.events.topics import TOPICS
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.publisher import EventPublisher
from crm_common.security.jwt import TokenVerifier
from crm_common.service import Running, ServiceSpec, build_app, serve_command
from crm_common.settings import ServiceSettings
from crm_integration.credentials import enabled_integrations
from crm_integration.scheduler import DailyReconcile, Periodic, SyncScheduler
from crm_integration.service import JobService, Source
from crm_integration.sinks import EventSink, KafkaSink
from crm_integration.tables import IntegrationRow, WebhookReceiptRow
from crm_integration.webhooks import ReceiptRepository

MakeService = Callable[[Any, AsyncEngine, async_sessionmaker[AsyncSession], EventSink], JobService[Any]]
Register = Callable[[Any, async_sessionmaker[AsyncSession], str], Awaitable[None]]


@dataclass(frozen=True)
class Connector:
    """What makes one connector's process its own; the settings it reads are those both connectors share
    (``sync_interval_minutes``, ``scheduler_enabled``, ``create_topics``, ``reconcile_*``, ``webhook_*``,
    ``public_webhook_url``, ``takeover_check_seconds``)."""

    name: str  # "moysklad-connector": logs, metrics, the command line (crm-<name>)
    title: str
    description: str  # the OpenAPI document's
    cli_description: str  # crm-<name> --help
    root: Path  # services/<name>: alembic.ini and migrations/
    schema: str
    source: Source  # its modes are what `sync --mode` takes
    routers: Sequence[APIRouter]
    service: MakeService  # the connector's JobService subclass from settings, engine, sessions and sink
    events_published: Any  # its Prometheus counter of published events (KafkaSink)
    integrations: type[IntegrationRow]  # its integrations table: which ones are enabled
    receipts: type[WebhookReceiptRow]  # its webhook receipts: pruned every scheduler round
    configured: Callable[[Any], bool]  # whether the environment configures the default integration
    register: Register  # webhook registration at the source, once per integration, when the public URL is set
    reconcile_zone: tzinfo  # where `reconcile_hour_msk` is a wall hour
    periodic: Callable[[Any], Sequence[Periodic]] = lambda settings: ()
    default_integration: str = "default"
    receipts_kept: timedelta = timedelta(days=2)  # both sources retry at once; two days covers any replay
    serve_help: str = "serve the HTTP API and run the sync scheduler"
    spec: ServiceSpec = field(init=False)

    def __post_init__(self) -> None:
        spec = ServiceSpec(
            name=self.name,
            title=self.title,
            description=self.description,
            root=self.root,
            schema=self.schema,
            routers=self.routers,
            topics=TOPICS,
            always_kafka=True,
            background=(self._sync_service, self._scheduler),
            cli_description=self.cli_description,
            serve_help=self.serve_help,
        )
        object.__setattr__(self, "spec", spec)

    def _sync_service(self, running: Running) -> JobService[Any]:
        rt = running.runtime
        assert rt.engine is not None
        assert rt.broker is not None
        sink = KafkaSink(EventPublisher(rt.broker), self.events_published)
        service = self.service(running.settings, rt.engine, running.sessions, sink)
        running.app.state.sync_service = service
        return service

    def _scheduler(self, running: Running) -> SyncScheduler | None:
        settings, sessions = running.settings, running.sessions
        environment = self.default_integration if self.configured(settings) else None

        async def integration_ids() -> list[str]:
            return await enabled_integrations(sessions, self.integrations, environment)

        async def register(integration_id: str) -> None:
            await self.register(settings, sessions, integration_id)

        async def prune_receipts() -> None:
            async with transaction(sessions) as session:
                await ReceiptRepository(session, self.receipts).prune(datetime.now(UTC) - self.receipts_kept)

        retry = timedelta(minutes=settings.reconcile_retry_minutes)
        scheduler = SyncScheduler(
            running.app.state.sync_service,
            integration_ids,
            settings.sync_interval_minutes * 60,
            periodic=self.periodic(settings),
            debounce_seconds=settings.webhook_debounce_seconds,
            settle_seconds=settings.webhook_settle_seconds,
            spacing_factor=settings.webhook_spacing_factor,
            takeover_seconds=settings.takeover_check_seconds,
            prepare=register if settings.public_webhook_url else None,
            housekeeping=prune_receipts,
            reconcile=DailyReconcile(settings.reconcile_hour_msk, retry, self.reconcile_zone)
            if settings.reconcile_enabled
            else None,
        )
        running.app.state.scheduler = scheduler
        if not settings.scheduler_enabled:
            return None
        scheduler.start()
        return scheduler


def create_app(
    connector: Connector, settings: ServiceSettings, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    return build_app(connector.spec, settings, token_verifier=token_verifier)


def main(
    connector: Connector,
    settings_factory: Callable[[], ServiceSettings],
    create: Callable[[Any], FastAPI],
    argv: list[str] | None = None,
) -> None:
    """``crm-<name> serve | migrate | sync``."""

    def sync_arguments(command: argparse.ArgumentParser) -> None:
        command.add_argument("--mode", choices=connector.source.modes, default="full")
        command.add_argument("--integration", default=connector.default_integration)

    def sync(args: argparse.Namespace, settings: Any) -> None:
        preflight(settings, service=connector.name, postgres=True, kafka=True, redis=False)
        status = asyncio.run(run_sync(connector, settings, args.integration, args.mode))
        print(f"sync {status}")
        if not status.startswith("succeeded"):  # with skipped objects is a success too
            sys.exit(1)

    help_text = "run one sync in the foreground and exit (non-zero if it failed)"
    serve_command(connector.spec, settings_factory, create, argv, commands={"sync": (help_text, sync, sync_arguments)})


async def run_sync(connector: Connector, settings: Any, integration_id: str, mode: str) -> str:
    """One job in the foreground, with its own engine and producer; returns the job's status."""
    await ensure_topics(settings.kafka_bootstrap_servers)
    engine = create_engine(settings.database_url, connector.schema, pool_size=4, jit=settings.db_jit)
    broker = make_broker(settings.kafka_bootstrap_servers, f"{connector.name}-cli")
    await broker.start()
    try:
        sink = KafkaSink(EventPublisher(broker), connector.events_published)
        service = connector.service(settings, engine, session_factory(engine), sink)
        try:
            job = await service.run(integration_id, mode, "cli")
        except AppError as exc:
            fail(exc.detail)
        print(f"job {job.id}: {job.status} counts={job.counts}" + (f" detail={job.detail}" if job.detail else ""))
        return str(job.status)
    finally:
        await broker.stop()
        await engine.dispose()

"""``create_app()``: the connector's HTTP API, with engine, broker and scheduler made in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from bitrix24_connector import metrics
from bitrix24_connector.db import SCHEMA
from bitrix24_connector.integrations import api as integrations_api
from bitrix24_connector.integrations.service import DEFAULT_INTEGRATION
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync import api as sync_api
from bitrix24_connector.sync.service import SyncService
from bitrix24_connector.tables import Integration, WebhookReceipt
from bitrix24_connector.webhooks import api as webhooks_api
from bitrix24_connector.webhooks.registration import register_events
from crm_common.db import transaction
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.publisher import EventPublisher
from crm_common.runtime import Runtime
from crm_common.web.app import create_service_app
from crm_integration.credentials import enabled_integrations
from crm_integration.scheduler import DailyReconcile, SyncScheduler
from crm_integration.sinks import KafkaSink
from crm_integration.webhooks import ReceiptRepository

RECEIPTS_KEPT = timedelta(days=2)
MOSCOW = ZoneInfo("Europe/Moscow")


def create_app(settings: ConnectorSettings | None = None, *, token_verifier: Any = None) -> FastAPI:
    settings = settings or ConnectorSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.create_topics:
            await ensure_topics(settings.kafka_bootstrap_servers)
        rt = await Runtime.open(settings, schema=SCHEMA, kafka=True, redis=False, client_id="bitrix24-connector")
        if rt.engine is None or rt.sessions is None or rt.broker is None:
            raise RuntimeError("runtime opened without database or broker")
        app.state.health_checks.update(rt.checks)
        app.state.token_verifier = token_verifier or rt.token_verifier()
        app.state.session_check = rt.session_check()
        app.state.sessions = sessions = rt.sessions
        await rt.broker.start()
        sink = KafkaSink(EventPublisher(rt.broker), metrics.EVENTS_PUBLISHED)
        service = SyncService(settings, rt.engine, sessions, sink)
        app.state.sync_service = service

        async def integration_ids() -> list[str]:
            environment = DEFAULT_INTEGRATION if settings.webhook_url is not None else None
            return await enabled_integrations(sessions, Integration, environment)

        async def register(integration_id: str) -> None:
            await register_events(settings, sessions, integration_id)

        async def prune_receipts() -> None:
            async with transaction(sessions) as session:
                await ReceiptRepository(session, WebhookReceipt).prune(datetime.now(UTC) - RECEIPTS_KEPT)

        reconcile = DailyReconcile(
            settings.reconcile_hour_msk, timedelta(minutes=settings.reconcile_retry_minutes), MOSCOW
        )
        scheduler = SyncScheduler(
            service,
            integration_ids,
            settings.sync_interval_minutes * 60,
            debounce_seconds=settings.webhook_debounce_seconds,
            settle_seconds=settings.webhook_settle_seconds,
            spacing_factor=settings.webhook_spacing_factor,
            takeover_seconds=settings.takeover_check_seconds,
            prepare=register if settings.public_webhook_url else None,
            housekeeping=prune_receipts,
            reconcile=reconcile if settings.reconcile_enabled else None,
        )
        app.state.scheduler = scheduler
        if settings.scheduler_enabled:
            scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            await service.stop()
            await rt.close()

    app = create_service_app(
        service="bitrix24-connector",
        title="Bitrix24 connector",
        routers=[sync_api.router, integrations_api.router, webhooks_api.router],
        lifespan=lifespan,
        description="Pulls Bitrix24 CRM over its REST API and publishes canonical events.",
    )
    app.state.settings = settings
    return app

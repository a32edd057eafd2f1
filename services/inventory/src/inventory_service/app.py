"""The inventory service: stores and stock per product/variant per store, thresholds, low-stock alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from crm_common.events.topics import ALERTS, DEAD_LETTER
from crm_common.logging import get_logger
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.outbox import OutboxRelay
from crm_common.messaging.publisher import EventPublisher
from crm_common.runtime import Runtime
from crm_common.security.jwt import TokenVerifier
from crm_common.web.app import create_service_app
from inventory_service.alerts.api import router as thresholds_router
from inventory_service.consumers import TOPICS, register_consumers
from inventory_service.db import SCHEMA, outbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.api import router as stock_router
from inventory_service.stores.api import router as stores_router

log = get_logger(__name__)


def create_app(settings: InventorySettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    """Build the app; connections are opened in the lifespan, never at import."""
    settings = settings or InventorySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.open(
            settings, schema=SCHEMA, kafka=settings.consume_events, redis=False, client_id="crm-inventory"
        )
        app.state.runtime = rt
        app.state.sessions = rt.sessions
        app.state.health_checks.update(rt.checks)
        app.state.token_verifier = token_verifier or rt.token_verifier()
        app.state.session_check = rt.session_check()
        relay: OutboxRelay | None = None
        try:
            if rt.broker is not None and rt.sessions is not None:
                if settings.create_topics:
                    await ensure_topics(settings.kafka_bootstrap_servers, [*TOPICS, ALERTS, DEAD_LETTER])
                register_consumers(rt.broker, rt.sessions, settings.consumer_group)
                await rt.broker.start()
                relay = OutboxRelay(
                    rt.sessions,
                    outbox,
                    EventPublisher(rt.broker),
                    interval=settings.outbox_interval.total_seconds(),
                )
                relay.start()
                log.info("inventory consumers and outbox relay started", group=settings.consumer_group)
            yield
        finally:
            if relay is not None:
                await relay.stop()
            await rt.close()

    app = create_service_app(
        service="inventory",
        title="Inventory service",
        description="Stores, stock per product or variant per store, minimum-stock thresholds and low-stock alerts.",
        routers=[stock_router, stores_router, thresholds_router],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app

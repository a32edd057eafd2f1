"""The analytics app: routers, and a lifespan that opens Postgres, Redis and Kafka and starts the consumers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from analytics_service import consumers
from analytics_service.alerts.api import router as alerts_router
from analytics_service.alerts.revenue_drop import run_checker
from analytics_service.cache import ReportCache, cache_prefix
from analytics_service.customers.api import router as customers_router
from analytics_service.dashboard.api import router as dashboard_router
from analytics_service.db import SCHEMA, outbox
from analytics_service.inventory.api import router as inventory_router
from analytics_service.sales.api import router as sales_router
from analytics_service.settings import AnalyticsSettings
from crm_common.logging import configure_logging
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.outbox import OutboxRelay
from crm_common.messaging.publisher import EventPublisher
from crm_common.runtime import Runtime
from crm_common.security import TokenVerifier
from crm_common.web.app import create_service_app

ROUTERS = (dashboard_router, sales_router, inventory_router, customers_router, alerts_router)


def create_app(
    settings: AnalyticsSettings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    settings = settings or AnalyticsSettings()
    if configure_logs:
        configure_logging("analytics", settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.open(settings, schema=SCHEMA, kafka=True, redis=True, client_id="analytics")
        assert rt.sessions is not None
        assert rt.broker is not None
        app.state.settings = settings
        app.state.sessions = rt.sessions
        app.state.report_cache = ReportCache(rt.redis, settings.cache_ttl, cache_prefix(settings.database_url))
        app.state.health_checks = rt.checks
        app.state.token_verifier = token_verifier or rt.token_verifier()
        app.state.session_check = rt.session_check()
        if settings.create_topics:
            await ensure_topics(settings.kafka_bootstrap_servers)
        if settings.consume_events:
            consumers.register(rt.broker, rt.sessions, settings)
        await rt.broker.start()
        relay = OutboxRelay(rt.sessions, outbox, EventPublisher(rt.broker))
        relay.start()
        checker = (
            asyncio.create_task(run_checker(rt.sessions, settings), name="revenue-drop-checker")
            if settings.run_revenue_drop_checker
            else None
        )
        try:
            yield
        finally:
            if checker:
                checker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checker
            await relay.stop()
            await rt.close()

    return create_service_app(
        service="analytics",
        title="Analytics",
        description="Sales, profit, stock and customer analytics built from the canonical event stream.",
        routers=ROUTERS,
        lifespan=lifespan,
    )

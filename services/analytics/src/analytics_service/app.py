"""The analytics service: sales, profit, stock and customer projections fed by the event stream, and their reports."""

from __future__ import annotations

from fastapi import FastAPI

from analytics_service import consumers
from analytics_service.alerts.api import router as alerts_router
from analytics_service.alerts.revenue_drop import run_checker
from analytics_service.cache import ReportCache, cache_prefix
from analytics_service.checkpoints.watch import CheckpointWatch
from analytics_service.customers.api import router as customers_router
from analytics_service.customers.identity.api import router as identity_router
from analytics_service.dashboard.api import router as dashboard_router
from analytics_service.db import SCHEMA, SERVICE_ROOT, outbox
from analytics_service.funnel.api import router as funnel_router
from analytics_service.inventory.api import router as inventory_router
from analytics_service.sales.api import router as sales_router
from analytics_service.settings import AnalyticsSettings
from crm_common.events.topics import TOPICS
from crm_common.security import TokenVerifier
from crm_common.service import BackgroundTask, Outbox, Running, ServiceSpec, build_app

ROUTERS = (
    dashboard_router,
    sales_router,
    inventory_router,
    identity_router,
    customers_router,
    funnel_router,
    alerts_router,
)


def report_cache(running: Running) -> None:
    settings: AnalyticsSettings = running.settings
    watch = None
    if settings.cache_watch_checkpoints:
        watch = CheckpointWatch(settings.database_url, SCHEMA)
        watch.start()
        running.close_later(watch.stop)
    running.app.state.report_cache = ReportCache(
        running.runtime.resp, settings.cache_ttl, cache_prefix(settings.database_url), watch
    )


def revenue_drop_checker(running: Running) -> BackgroundTask | None:
    if not running.settings.run_revenue_drop_checker:
        return None
    return BackgroundTask("revenue-drop-checker", lambda: run_checker(running.sessions, running.settings))


SPEC = ServiceSpec(
    name="analytics",
    title="Analytics",
    description="Sales, profit, stock and customer analytics built from the canonical event stream.",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    routers=ROUTERS,
    topics=TOPICS,
    consumers=consumers.register,
    outbox=Outbox(outbox),
    redis=True,  # the report cache
    always_kafka=True,  # its alerts leave through the outbox even in an API-only process
    state=report_cache,
    background=(revenue_drop_checker,),
)


def create_app(settings: AnalyticsSettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return build_app(SPEC, settings or AnalyticsSettings(), token_verifier=token_verifier)

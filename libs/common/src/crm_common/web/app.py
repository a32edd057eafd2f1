"""The app factory every service uses, so they all look and behave alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI

from crm_common.tracing import instrument_app, setup_tracing
from crm_common.web.errors import install_error_handlers
from crm_common.web.health import router as health_router
from crm_common.web.middleware import MetricsMiddleware, RequestIdMiddleware


def create_service_app(
    *,
    service: str,
    title: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    description: str = "",
) -> FastAPI:
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.state.health_checks = {}
    install_error_handlers(app)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(RequestIdMiddleware)
    if setup_tracing(service):  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set
        instrument_app(app)
    return app

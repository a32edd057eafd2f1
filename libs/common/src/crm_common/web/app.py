"""The app factory every service uses, so they all look and behave alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI

from crm_common.errors import ErrorBody
from crm_common.tracing import instrument_app, setup_tracing
from crm_common.web.errors import install_error_handlers
from crm_common.web.health import router as health_router
from crm_common.web.middleware import MetricsMiddleware, RequestIdMiddleware
from crm_common.web.query import document_query_parameters, refuse_loose_query_parameters


def create_service_app(
    *,
    service: str,
    title: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    description: str = "",
) -> FastAPI:
    tracing = setup_tracing(service)  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        # FastAPI's own OpenTelemetry hook makes the request spans when tracing is on; metrics are Prometheus's
        # (MetricsMiddleware) and logs structlog's. Off, it costs nothing per request instead of a provider lookup.
        telemetry={"tracing": tracing, "metrics": False, "logs": False},
    )
    app.state.service = service
    app.state.health_checks = {}
    install_error_handlers(app)
    for router in (health_router, *routers):
        _add_routes(app, router)
    refuse_loose_query_parameters(app.routes)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(RequestIdMiddleware)
    _document_uniform_errors(app)
    if tracing:
        instrument_app(app)
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Put the router's routes into the app's own route list.

    A route of an ``APIRouter`` already carries its full path, dependencies, tags and responses, so nothing is lost;
    ``include_router`` would instead keep the router as one included entry that FastAPI resolves on every request
    (walking each router and its routes), ~25 µs of a request's CPU at a dozen routes (docs/architecture.md, "API
    conventions"). A router with start-up or shutdown hooks of its own is refused: only ``include_router`` runs those.
    """
    if router.on_startup or router.on_shutdown:
        raise ValueError(f"router {router.prefix!r} has start-up/shutdown hooks; use the service's lifespan instead")
    app.router.routes.extend(router.routes)


def _document_uniform_errors(app: FastAPI) -> None:
    """Make the OpenAPI document describe the 422 body the error handler really sends (``ErrorBody``), not
    FastAPI's default ``HTTPValidationError``, and list the query parameters routes read as one model
    (``crm_common.web.query``)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        document_query_parameters(app, schema)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                response = operation.get("responses", {}).get("422") if isinstance(operation, dict) else None
                if response is not None:
                    response["description"] = response.get("description") or "Validation error"
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused in components and unused not in str(schema.get("paths")):
                del components[unused]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

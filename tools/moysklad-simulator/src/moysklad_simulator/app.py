"""``create_app()``: the FastAPI application serving MoySklad JSON API 1.2 under ``/api/remap/1.2``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from moysklad_simulator import audit, auth, faults, live, profit, reports, webhooks
from moysklad_simulator.data.generator import generate
from moysklad_simulator.documents import recyclebin
from moysklad_simulator.documents import views as document_views
from moysklad_simulator.entities import routes as entity_routes
from moysklad_simulator.errors import MoySkladError, unknown_path
from moysklad_simulator.gate import gate
from moysklad_simulator.ratelimit import RateLimiter
from moysklad_simulator.responses import API_PREFIX, respond_error
from moysklad_simulator.settings import Settings
from moysklad_simulator.store import SimulatorState


def create_app(settings: Settings | None = None, state: SimulatorState | None = None) -> FastAPI:
    """Build the app; pass ``state`` to serve (and observe) a state you hold, else one is generated."""
    settings = settings or Settings()
    state = state or generate(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(webhooks.deliver_forever(app))]
        if settings.live:
            tasks.append(asyncio.create_task(live.run_live(app)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        title="MoySklad simulator",
        lifespan=lifespan,
        docs_url="/__sim/docs",
        openapi_url="/__sim/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sim = state
    app.state.limiter = RateLimiter(settings)
    app.state.faults = faults.Faults(
        storm_429_probability=settings.fault_429_probability,
        error_500_probability=settings.fault_500_probability,
        drop_probability=settings.fault_drop_probability,
        latency_ms=settings.fault_latency_ms,
    )
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    app.include_router(webhooks.router, prefix=API_PREFIX)
    app.include_router(recyclebin.router, prefix=API_PREFIX)
    app.include_router(document_views.router, prefix=API_PREFIX)
    app.include_router(entity_routes.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(profit.router, prefix=API_PREFIX)
    app.include_router(faults.router)
    app.include_router(recyclebin.admin_router)
    _install_error_handlers(app)
    app.middleware("http")(gate)

    @app.middleware("http")
    async def note_writes(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """A write request may change records in place: cached lists made before its end are not reused."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return await call_next(request)
        try:
            return await call_next(request)
        finally:
            state.changed()

    app.add_middleware(faults.DropConnections)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MoySkladError)
    async def moysklad_error(request: Request, exc: MoySkladError) -> Response:
        return respond_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return respond_error(request, MoySkladError(405, 1039, "Метод не поддерживается"))
        return respond_error(request, unknown_path(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return respond_error(request, MoySkladError(400, 1002, "Неверный параметр запроса"))

"""``create_app()``: the FastAPI application serving the Bitrix24 REST API under ``/rest/<user_id>/<code>/``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bitrix24_simulator import api, events, faults, live
from bitrix24_simulator.data.generator import generate
from bitrix24_simulator.errors import method_not_found
from bitrix24_simulator.limits import LeakyBucket, OperatingMeter
from bitrix24_simulator.settings import Settings
from bitrix24_simulator.store import Portal


def create_app(settings: Settings | None = None, portal: Portal | None = None) -> FastAPI:
    """Build the app; pass ``portal`` to serve (and observe) a portal you hold, else one is generated."""
    settings = settings or Settings()
    portal = portal or generate(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(events.deliver_forever(app))]
        if settings.live:
            tasks.append(asyncio.create_task(live.run_live(app)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        title="Bitrix24 simulator",
        lifespan=lifespan,
        docs_url="/__sim/docs",
        openapi_url="/__sim/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.portal = portal
    app.state.bucket = LeakyBucket(settings)
    app.state.meter = OperatingMeter(settings)
    app.state.stats = faults.Stats()
    app.state.faults = faults.Faults(
        storm_503_probability=settings.fault_503_probability,
        error_500_probability=settings.fault_500_probability,
        drop_probability=settings.fault_drop_probability,
        latency_ms=settings.fault_latency_ms,
    )
    app.include_router(api.router)
    app.include_router(faults.router)
    app.add_middleware(faults.DropConnections)

    @app.exception_handler(StarletteHTTPException)
    async def unknown_path(request: Request, exc: StarletteHTTPException) -> Response:
        error = method_not_found()
        return JSONResponse(error.body(), status_code=error.status)

    return app

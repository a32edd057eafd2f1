"""Fault injection for client tests, and the non-MoySklad admin endpoints under ``/__sim``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from moysklad_simulator.ratelimit import RateLimiter
from moysklad_simulator.responses import API_PREFIX
from moysklad_simulator.store import SimulatorState

router = APIRouter(prefix="/__sim", tags=["simulator admin"])


class Faults(BaseModel):
    """What to break, with which probability; changeable at run time via ``PUT /__sim/faults``."""

    storm_429_probability: float = Field(default=0.0, ge=0, le=1)
    error_500_probability: float = Field(default=0.0, ge=0, le=1)
    drop_probability: float = Field(default=0.0, ge=0, le=1)
    latency_ms: int = Field(default=0, ge=0)
    rate_limits_enabled: bool = True


class DropConnections:
    """ASGI middleware: with ``drop_probability`` send a truncated response and abort the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            faults: Faults = scope["app"].state.faults
            state: SimulatorState = scope["app"].state.sim
            if faults.drop_probability and state.fault_rng.random() < faults.drop_probability:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-length", b"100000"), (b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"rows":[', "more_body": True})
                raise ConnectionAbortedError("simulated dropped connection")
        await self.app(scope, receive, send)


@router.get("/faults")
def get_faults(request: Request) -> Faults:
    """Show the active fault settings."""
    faults: Faults = request.app.state.faults
    return faults


@router.put("/faults")
def put_faults(request: Request, faults: Faults) -> Faults:
    """Replace the active fault settings."""
    request.app.state.faults = faults
    return faults


@router.get("/stats")
def get_stats(request: Request) -> dict[str, Any]:
    """Requests and rate-limit units charged so far, per path (ids folded to ``{id}``); refused ones cost 0 units."""
    limiter: RateLimiter = request.app.state.limiter
    return limiter.stats()


@router.delete("/stats", status_code=204)
def reset_stats(request: Request) -> None:
    """Start counting again from zero."""
    limiter: RateLimiter = request.app.state.limiter
    limiter.counted.clear()


@router.get("/state")
def get_state(request: Request) -> dict[str, Any]:
    """Summarise the simulator's data for tests and humans."""
    state: SimulatorState = request.app.state.sim
    return {
        "accountId": state.account_id,
        "login": state.settings.login,
        "scale": state.settings.scale.value,
        "seed": state.settings.seed,
        "anchor": str(state.anchor),
        "counts": {name: len(rows) for name, rows in state.tables.items()},
        "auditContexts": len(state.audit),
        "webhookOutbox": len(state.outbox),
        "webhookDeliveries": state.webhook_log[-50:],
    }


@router.delete("/entity/{entity_type}/{entity_id}", status_code=204, response_class=Response)
def remove_silently(request: Request, entity_type: str, entity_id: str) -> Response:
    """Remove an object without an audit record or a webhook: a delete the audit feed never shows."""
    state: SimulatorState = request.app.state.sim
    if entity_type not in state.tables or entity_type == "state":
        return JSONResponse({"error": "NotFound", "detail": f"unknown entity type {entity_type!r}"}, status_code=404)
    if state.remove(entity_type, entity_id) is None:
        return JSONResponse({"error": "NotFound", "detail": f"{entity_type}/{entity_id} not found"}, status_code=404)
    return Response(status_code=204)

"""Fault injection for client tests, and the non-Bitrix24 admin endpoints under ``/__sim``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from bitrix24_simulator.store import Portal

router = APIRouter(prefix="/__sim", tags=["simulator admin"])


class Faults(BaseModel):
    """What to break, with which probability; changeable at run time via ``PUT /__sim/faults``."""

    storm_503_probability: float = Field(default=0.0, ge=0, le=1)
    error_500_probability: float = Field(default=0.0, ge=0, le=1)
    drop_probability: float = Field(default=0.0, ge=0, le=1)
    latency_ms: int = Field(default=0, ge=0)
    rate_limits_enabled: bool = True


class WebhookState(BaseModel):
    expired: bool


class Stats:
    """Requests per method and HTTP status, for tests that count what a client sent."""

    def __init__(self) -> None:
        self.by_method: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def count(self, method: str, status: int) -> None:
        self.by_method[method][status] += 1

    def summary(self) -> dict[str, Any]:
        methods = {m: {str(s): n for s, n in counts.items()} for m, counts in self.by_method.items()}
        return {"requests": sum(sum(c.values()) for c in self.by_method.values()), "by_method": methods}


class DropConnections:
    """ASGI middleware: with ``drop_probability`` send a truncated response and abort the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/rest/"):
            faults: Faults = scope["app"].state.faults
            portal: Portal = scope["app"].state.portal
            if faults.drop_probability and portal.fault_rng.random() < faults.drop_probability:
                headers = [(b"content-length", b"100000"), (b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b'{"result":[', "more_body": True})
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
    """Requests per method and HTTP status since start (or the last reset)."""
    stats: Stats = request.app.state.stats
    return stats.summary()


@router.delete("/stats", status_code=204)
def reset_stats(request: Request) -> None:
    """Start counting again from zero."""
    request.app.state.stats.by_method.clear()


@router.put("/webhook")
def put_webhook(request: Request, webhook: WebhookState) -> WebhookState:
    """Expire the incoming webhook (calls get 401 ``expired_token``) or make it valid again."""
    portal: Portal = request.app.state.portal
    portal.webhook_expired = webhook.expired
    return webhook


@router.get("/state")
def get_state(request: Request) -> dict[str, Any]:
    """Summarise the portal's data for tests and humans."""
    portal: Portal = request.app.state.portal
    return {
        "domain": portal.settings.domain,
        "scale": portal.settings.scale.value,
        "seed": portal.settings.seed,
        "anchor": portal.anchor.isoformat(),
        "counts": {name: len(rows) for name, rows in portal.tables.items()},
        "bindings": len(portal.bindings),
        "eventOutbox": len(portal.outbox),
        "eventDeliveries": portal.event_log[-50:],
    }


@router.get("/overlap")
def get_overlap(request: Request) -> dict[str, Any]:
    """Ground truth: which contact or company is which MoySklad counterparty, and by which keys they match."""
    portal: Portal = request.app.state.portal
    return {
        "moysklad": {"scale": portal.moysklad_scale, "seed": portal.settings.seed, "anchor": portal.settings.anchor},
        "matches": [
            {
                "bitrix24": {"entityType": m.entity_type, "id": m.entity_id},
                "moysklad": {"counterpartyId": m.counterparty_id, "name": m.counterparty_name},
                "keys": list(m.keys),
            }
            for m in portal.matches
            if portal.get(m.entity_type, m.entity_id) is not None
        ],
    }


__all__ = ["Faults", "Stats", "router"]

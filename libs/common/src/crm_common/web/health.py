"""``/health/live`` (the process answers) and ``/health/ready`` (what it depends on answers too)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Check = Callable[[], Awaitable[None]]

router = APIRouter(include_in_schema=False)


@router.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    checks: dict[str, Check] = getattr(request.app.state, "health_checks", {})
    results = await asyncio.gather(*(_run(check) for check in checks.values()))
    parts = dict(zip(checks, results, strict=True))
    ok = all(v == "ok" for v in parts.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": parts}, status_code=200 if ok else 503)


async def _run(check: Check, timeout: float = 3.0) -> str:
    try:
        await asyncio.wait_for(check(), timeout)
        return "ok"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

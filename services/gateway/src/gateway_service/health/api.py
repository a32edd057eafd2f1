"""Each service's readiness, the infrastructure, and consumer lag; for operators holding ``admin:health``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from crm_common.db import check_database, create_engine
from crm_common.errors import Forbidden, ServiceUnavailable, Unauthorized, error_responses
from crm_common.events.topics import topic_prefix
from crm_common.messaging.broker import check_kafka
from crm_common.security import Permission, Principal
from gateway_service.access.deps import require
from gateway_service.health.lag import consumer_lag
from gateway_service.settings import GatewaySettings

router = APIRouter(tags=["admin"])


class Part(BaseModel):
    status: str
    detail: Any = None


class SystemHealth(BaseModel):
    status: str
    services: dict[str, Part]
    infrastructure: dict[str, Part]
    consumer_lag: Part


async def _timed(check: Awaitable[Any], timeout: float) -> Part:
    try:
        detail = await asyncio.wait_for(check, timeout)
        return Part(status="ok", detail=detail)
    except Exception as exc:
        return Part(status="unavailable", detail=f"{type(exc).__name__}: {exc}"[:300])


async def _service_ready(client: httpx.AsyncClient, base: str) -> Any:
    response = await client.get(base + "/health/ready")
    if response.status_code != 200:
        raise RuntimeError(f"/health/ready answered {response.status_code}: {response.text[:200]}")
    return response.json().get("checks")


async def _postgres(url: str) -> None:
    engine = create_engine(url, "public", pool_size=1)
    try:
        await check_database(engine)
    finally:
        await engine.dispose()


@router.get(
    "/api/v1/admin/health",
    response_model=SystemHealth,
    responses=error_responses(Unauthorized, Forbidden, ServiceUnavailable),
)
async def system_health(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.ADMIN_HEALTH))]
) -> SystemHealth:
    """Report the readiness of every service, Kafka, Postgres, Redis and the lag of every consumer group."""
    s: GatewaySettings = request.app.state.settings
    client: httpx.AsyncClient = request.app.state.upstream_client
    timeout = s.health_timeout.total_seconds()
    services = request.app.state.gateway.table.services()
    redis = request.app.state.runtime.redis
    names = list(services)
    checks = [_timed(_service_ready(client, services[n]), timeout) for n in names]
    infra = {
        "kafka": _timed(check_kafka(s.kafka_bootstrap_servers, timeout=timeout), timeout),
        "postgres": _timed(_postgres(s.database_url), timeout),
        "redis": _timed(redis.ping(), timeout),
    }
    lag = _timed(consumer_lag(s.kafka_bootstrap_servers, prefix=topic_prefix(), timeout=timeout), timeout * 2)
    results = await asyncio.gather(*checks, *infra.values(), lag)
    service_parts = dict(zip(names, results[: len(names)], strict=True))
    infra_parts = dict(zip(infra, results[len(names) : -1], strict=True))
    parts = [*service_parts.values(), *infra_parts.values()]
    status = "ok" if all(p.status == "ok" for p in parts) else "degraded"
    return SystemHealth(status=status, services=service_parts, infrastructure=infra_parts, consumer_lag=results[-1])

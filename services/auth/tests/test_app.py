from __future__ import annotations

import asyncio

import pytest
from auth_testkit import client_for
from fastapi import FastAPI

from auth_service.main import main


async def test_ready_checks_postgres_and_redis(app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_metrics_count_requests_by_route_template(app: FastAPI) -> None:
    async with client_for(app) as client:
        await client.get("/api/v1/auth/.well-known/jwks.json")
        metrics = (await client.get("/metrics")).text

    assert 'route="/api/v1/auth/.well-known/jwks.json"' in metrics
    assert 'service="auth"' in metrics


async def test_errors_carry_a_request_id(app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.get("/api/v1/auth/me", headers={"x-request-id": "trace-123"})

    assert response.status_code == 401
    assert response.headers["x-request-id"] == "trace-123"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_migrate_upgrades_the_schema_then_syncs_the_permission_catalog(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    """``crm-auth migrate`` is the shared command plus auth's ``after_migrate``: the catalog is already in step."""
    await asyncio.to_thread(main, ["migrate"])

    assert "auth schema migrated; permissions added: none" in capsys.readouterr().out

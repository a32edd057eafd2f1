"""Proxied requests bypass FastAPI's router (proxy/fastpath.py) without changing what the gateway answers or records."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway_service.app import create_app
from gateway_service.proxy.fastpath import ProxyFastPath
from gateway_service.settings import GatewaySettings

CATCH_ALL = "/api/v1/{path:path}"


@pytest.fixture
def token(keys: Any) -> str:
    return str(keys.mint())


def counts(status: str) -> tuple[float, float]:
    gateway = REGISTRY.get_sample_value(
        "crm_gateway_requests_total", {"route": "/api/v1/products", "method": "GET", "status": status}
    )
    shared = REGISTRY.get_sample_value(
        "crm_http_requests_total", {"service": "gateway", "method": "GET", "route": CATCH_ALL, "status": status}
    )
    return gateway or 0.0, shared or 0.0


async def test_a_proxied_request_is_counted_once_in_each_metric_family(client: httpx.AsyncClient, token: str) -> None:
    before = counts("200")
    response = await client.get("/api/v1/products/", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    after = counts("200")
    assert (after[0] - before[0], after[1] - before[1]) == (1.0, 1.0)


async def test_an_unknown_prefix_is_a_uniform_404_labelled_with_the_catch_all(client: httpx.AsyncClient) -> None:
    labels = {"service": "gateway", "method": "GET", "route": CATCH_ALL, "status": "404"}
    before = REGISTRY.get_sample_value("crm_http_requests_total", labels) or 0.0
    response = await client.get("/api/v1/nowhere/else")
    assert response.status_code == 404
    assert response.json() == {"error": "NotFound", "detail": "no service serves /api/v1/nowhere/else"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]
    assert REGISTRY.get_sample_value("crm_http_requests_total", labels) == before + 1


async def test_a_method_the_proxy_does_not_accept_still_gets_fastapis_uniform_405(client: httpx.AsyncClient) -> None:
    response = await client.request("TRACE", "/api/v1/products/")
    assert response.status_code == 405
    assert response.json()["error"] == "MethodNotAllowed"


async def test_the_gateways_own_routes_are_not_proxied(client: httpx.AsyncClient) -> None:
    # Proxied, this would reach the catalog's echo app (which answers anything) or fail as an unknown prefix.
    health = await client.get("/api/v1/admin/health")
    assert health.status_code == 401
    assert health.headers["www-authenticate"] == "Bearer"
    spec = await client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "paths" in spec.json()


def test_the_fast_path_can_be_switched_off() -> None:
    def has_fast_path(**overrides: Any) -> bool:
        app = create_app(GatewaySettings(**overrides))
        return any(m.cls is ProxyFastPath for m in app.user_middleware)

    assert has_fast_path()
    assert not has_fast_path(proxy_fast_path=False)


async def test_without_the_fast_path_the_router_proxies_the_same_answer(
    gateway_factory: Any, gateway: str, token: str
) -> None:
    # GATEWAY_PROXY_FAST_PATH=false exists for bench/gateway_options.py: the catch-all route must answer alike.
    headers = {"authorization": f"Bearer {token}"}
    with gateway_factory(proxy_fast_path=False) as url:
        async with httpx.AsyncClient(base_url=url) as routed, httpx.AsyncClient(base_url=gateway) as fast:
            slow_answer = await routed.get("/api/v1/products/", params={"q": "x"}, headers=headers)
            fast_answer = await fast.get("/api/v1/products/", params={"q": "x"}, headers=headers)
    assert slow_answer.status_code == fast_answer.status_code == 200
    # The catalog stand-in echoes the request it got: the same but for per-request ids and the gateway's port.
    slow_echo, fast_echo = slow_answer.json(), fast_answer.json()
    per_request = {"x-request-id", "traceparent", "x-forwarded-host"}  # two gateways: two ports
    assert {k: v for k, v in slow_echo.pop("headers").items() if k not in per_request} == {
        k: v for k, v in fast_echo.pop("headers").items() if k not in per_request
    }
    assert slow_echo == fast_echo

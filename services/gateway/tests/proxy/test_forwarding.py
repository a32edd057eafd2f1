"""Requests reach the right service unchanged, answers come back unchanged, and the gateway's own rules apply."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest


@pytest.fixture
def token(keys: Any) -> str:
    return str(keys.mint())


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/products/", "catalog"),
        ("/api/v1/inventory/stock", "inventory"),
        ("/api/v1/analytics/revenue", "analytics"),
        ("/api/v1/admin/integrations", "connector"),
        ("/api/v1/admin/sync/jobs", "connector"),
        ("/api/v1/admin/bitrix24/integrations", "bitrix24"),
        ("/api/v1/admin/bitrix24/sync/jobs", "bitrix24"),
    ],
)
async def test_request_reaches_the_service_that_owns_the_prefix(
    client: httpx.AsyncClient, token: str, path: str, service: str
) -> None:
    response = await client.get(path, headers=auth(token))
    assert response.status_code == 200
    assert response.json()["service"] == service
    assert response.json()["path"] == path


async def test_admin_users_go_to_auth(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/admin/users", headers=auth(token))
    assert response.json() == {"service": "auth", "items": []}


async def test_login_through_the_gateway_then_list_products(client: httpx.AsyncClient) -> None:
    login = await client.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": "x"})
    assert login.status_code == 200
    access = login.json()["access_token"]
    products = await client.get("/api/v1/products/", headers=auth(access))
    assert products.status_code == 200
    assert products.json()["headers"]["authorization"] == f"Bearer {access}"


async def test_method_query_and_body_are_forwarded(client: httpx.AsyncClient, token: str) -> None:
    body = b"x" * 200_000
    response = await client.put(
        "/api/v1/inventory/items/1?limit=5&sort=-name&q=%D0%BC", headers=auth(token), content=body
    )
    echoed = response.json()
    assert (echoed["method"], echoed["query"], echoed["body_length"]) == ("PUT", "limit=5&sort=-name&q=%D0%BC", 200_000)


async def test_a_streamed_request_body_is_forwarded(client: httpx.AsyncClient, token: str) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"y" * 50_000

    response = await client.post("/api/v1/inventory/imports", headers=auth(token), content=chunks())
    assert response.json()["body_length"] == 500_000


async def test_a_large_response_streams_back_intact(client: httpx.AsyncClient, token: str) -> None:
    received = 0
    async with client.stream("GET", "/api/v1/products/export/big?chunks=200", headers=auth(token)) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            received += len(chunk)
    assert received == 200 * 16384


async def test_hop_by_hop_headers_are_stripped_both_ways(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(
        "/api/v1/products/",
        headers={
            **auth(token),
            "connection": "keep-alive, x-client-private",
            "x-client-private": "1",
            "te": "trailers",
        },
    )
    sent = response.json()["headers"]
    assert "x-client-private" not in sent
    assert "te" not in sent
    assert "x-upstream-private" not in response.headers
    assert response.headers["x-kept"] == "yes"


async def test_request_id_is_propagated_and_echoed(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/products/", headers={**auth(token), "x-request-id": "req-123"})
    assert response.json()["headers"]["x-request-id"] == "req-123"
    assert response.headers.get_list("x-request-id") == ["req-123"]


async def test_traceparent_continues_the_callers_trace_with_a_new_span(client: httpx.AsyncClient, token: str) -> None:
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await client.get("/api/v1/products/", headers={**auth(token), "traceparent": incoming})
    forwarded = response.json()["headers"]["traceparent"]
    assert forwarded.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert forwarded != incoming


async def test_a_trace_is_started_when_the_caller_sent_none(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/products/", headers=auth(token))
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", response.json()["headers"]["traceparent"])


async def test_forwarded_headers_name_the_client(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/products/", headers=auth(token))
    sent = response.json()["headers"]
    assert sent["x-forwarded-for"] == "127.0.0.1"
    assert sent["x-forwarded-proto"] == "http"


async def test_upstream_redirect_points_back_at_the_gateway(
    client: httpx.AsyncClient, token: str, gateway: str
) -> None:
    response = await client.get("/api/v1/products/x/redirect", headers=auth(token))
    assert response.status_code == 307
    assert response.headers["location"] == f"{gateway}/api/v1/products/x/"


async def test_body_over_the_limit_is_refused_with_413(gateway_factory: Any, token: str) -> None:
    with gateway_factory(max_body_bytes=1000) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            declared = await c.post("/api/v1/inventory/imports", headers=auth(token), content=b"z" * 1001)

            async def chunks() -> Any:
                for _ in range(5):
                    yield b"z" * 400

            streamed = await c.post("/api/v1/inventory/imports", headers=auth(token), content=chunks())
    assert declared.status_code == 413
    assert declared.json()["error"] == "PayloadTooLarge"
    assert streamed.status_code == 413


async def test_unknown_prefix_is_404_with_the_uniform_body(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/nowhere", headers=auth(token))
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"


async def test_path_escaping_its_prefix_is_refused(client: httpx.AsyncClient, token: str, stack: Any) -> None:
    before = stack.apps["catalog"].state.hits
    response = await client.get("/api/v1/products/%2e%2e/%2e%2e/admin/users", headers=auth(token))
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest"
    assert stack.apps["catalog"].state.hits == before


async def test_security_headers_are_set(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/products/", headers=auth(token))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_large_responses_are_gzipped_for_clients_that_accept_it(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(
        "/api/v1/products/export/big?chunks=4", headers={**auth(token), "accept-encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) == 4 * 16384


async def test_cors_preflight_allows_configured_origins(gateway_factory: Any) -> None:
    with gateway_factory(cors_origins=["https://app.example.ru"]) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            allowed = await c.options(
                "/api/v1/products/",
                headers={"origin": "https://app.example.ru", "access-control-request-method": "GET"},
            )
            other = await c.options(
                "/api/v1/products/",
                headers={"origin": "https://evil.example", "access-control-request-method": "GET"},
            )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.ru"
    assert "access-control-allow-origin" not in other.headers

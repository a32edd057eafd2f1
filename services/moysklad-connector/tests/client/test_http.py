"""The client's retry policy and headers, against a scripted transport (HTTP behaviour only, no pipeline)."""

from __future__ import annotations

import time

import httpx
import pytest

from moysklad_connector.client import AuthenticationFailed, Credentials, MoySkladClient, MoySkladError, PacingConfig
from moysklad_connector.client.errors import MoySkladUnavailable

BASE = "http://ms.test/api/remap/1.2"
FAST = PacingConfig(backoff_base_seconds=0.01, backoff_max_seconds=0.05, max_retries=3, request_weight=1)
OK = {"meta": {"size": 0}, "rows": []}


def scripted(responses: list[httpx.Response]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]

    return httpx.MockTransport(handler), seen


def client(transport: httpx.MockTransport, pacing: PacingConfig = FAST, **creds: str) -> MoySkladClient:
    credentials = Credentials(BASE, **(creds or {"username": "admin@demo", "password": "pw"}))
    return MoySkladClient(credentials, pacing, transport=transport)


def error(status: int, code: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"error": "boom", "code": code}]}, headers=headers)


async def test_requests_ask_for_gzip_and_send_basic_auth() -> None:
    transport, seen = scripted([httpx.Response(200, json=OK)])
    async with client(transport) as c:
        await c.get("entity/product")
    assert "gzip" in seen[0].headers["accept-encoding"]
    assert seen[0].headers["authorization"] == "Basic YWRtaW5AZGVtbzpwdw=="
    assert str(seen[0].url) == f"{BASE}/entity/product"


async def test_a_token_is_sent_as_bearer() -> None:
    transport, seen = scripted([httpx.Response(200, json=OK)])
    async with client(transport, token="abc") as c:
        await c.get("entity/product")
    assert seen[0].headers["authorization"] == "Bearer abc"


async def test_window_429_waits_the_announced_time_then_succeeds() -> None:
    transport, seen = scripted([error(429, 1049, {"X-Lognex-Retry-After": "300"}), httpx.Response(200, json=OK)])
    started = time.monotonic()
    async with client(transport) as c:
        await c.get("entity/product")
    assert len(seen) == 2
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried(status: int) -> None:
    transport, seen = scripted([error(status, 1074), httpx.Response(200, json=OK)])
    async with client(transport) as c:
        await c.get("entity/product")
    assert len(seen) == 2


async def test_parallel_429_is_retried_with_backoff() -> None:
    transport, seen = scripted([error(429, 1073), error(429, 1073), httpx.Response(200, json=OK)])
    async with client(transport) as c:
        await c.get("entity/product")
    assert len(seen) == 3


@pytest.mark.parametrize(("status", "code"), [(400, 1034), (403, 1016), (404, 1021), (412, 3000)])
async def test_other_4xx_are_never_retried(status: int, code: int) -> None:
    transport, seen = scripted([error(status, code), httpx.Response(200, json=OK)])
    async with client(transport) as c:
        with pytest.raises(MoySkladError) as caught:
            await c.get("entity/product")
    assert len(seen) == 1
    assert (caught.value.status, caught.value.code) == (status, code)


async def test_wrong_credentials_raise_authentication_failed_at_once() -> None:
    transport, seen = scripted([error(401, 1056)])
    async with client(transport) as c:
        with pytest.raises(AuthenticationFailed):
            await c.get("entity/product")
    assert len(seen) == 1


async def test_retries_stop_after_the_configured_number() -> None:
    transport, seen = scripted([error(503, 1074)])
    async with client(transport) as c:
        with pytest.raises(MoySkladUnavailable):
            await c.get("entity/product")
    assert len(seen) == FAST.max_retries + 1


async def test_pacing_keeps_request_rate_under_the_bucket_share() -> None:
    # Bucket of 10 units per second, using 50 %: 5 units/s; weight 1 → 10 requests need about 1 s after the burst.
    pacing = PacingConfig(rate_limit_units=10, rate_limit_window_ms=1000, rate_limit_share=0.5, request_weight=1)
    transport, _ = scripted([httpx.Response(200, json=OK)])
    started = time.monotonic()
    async with client(transport, pacing) as c:
        for _ in range(10):
            await c.get("entity/product")
    assert time.monotonic() - started >= 0.9


async def test_low_remaining_header_slows_the_next_request() -> None:
    pacing = PacingConfig(rate_limit_units=45, rate_limit_window_ms=3000, rate_limit_share=0.8, request_weight=2)
    headers = {"X-RateLimit-Limit": "45", "X-Lognex-Retry-TimeInterval": "3000", "X-RateLimit-Remaining": "9"}
    transport, _ = scripted([httpx.Response(200, json=OK, headers=headers)])
    async with client(transport, pacing) as c:
        await c.get("entity/product")
        started = time.monotonic()
        await c.get("entity/product")
    # Remaining 9 is exactly our 20 % margin: the next 2 units must refill first (2 / (15 * 0.8) ≈ 0.17 s).
    assert time.monotonic() - started >= 0.15

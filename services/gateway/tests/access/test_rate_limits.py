"""Per-user and per-address limits in Redis, stricter on login, 429 with Retry-After."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from gateway_service.settings import RateLimitRule


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


LIMITS = [
    RateLimitRule(prefix="/api/v1/auth/login", per_ip=3),
    RateLimitRule(prefix="/api/v1", per_user=5, per_ip=1000),
]


async def test_user_over_the_limit_gets_429_with_retry_after(gateway_factory: Any, keys: Any) -> None:
    token = keys.mint()
    with gateway_factory(rate_limits=LIMITS) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            statuses = [(await c.get("/api/v1/products/", headers=bearer(token))).status_code for _ in range(6)]
            limited = await c.get("/api/v1/products/", headers=bearer(token))
    assert statuses == [200] * 5 + [429]
    assert limited.json()["error"] == "TooManyRequests"
    assert 1 <= int(limited.headers["retry-after"]) <= 60


async def test_each_user_has_their_own_budget(gateway_factory: Any, keys: Any) -> None:
    with gateway_factory(rate_limits=LIMITS) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            first = keys.mint()
            for _ in range(6):
                await c.get("/api/v1/products/", headers=bearer(first))
            other = await c.get("/api/v1/products/", headers=bearer(keys.mint()))
    assert other.status_code == 200


async def test_login_is_limited_per_address_more_strictly(gateway_factory: Any) -> None:
    with gateway_factory(rate_limits=LIMITS) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            statuses = [
                (await c.post("/api/v1/auth/login", json={"email": "a@b.ru", "password": "p"})).status_code
                for _ in range(4)
            ]
    assert statuses == [200, 200, 200, 429]


async def test_limits_are_shared_by_gateway_replicas(gateway_factory: Any, keys: Any) -> None:
    token = keys.mint()
    limits = [RateLimitRule(prefix="/api/v1", per_user=4)]
    namespace = f"shared-{uuid.uuid4().hex[:8]}"
    with (
        gateway_factory(rate_limits=limits, rate_limit_namespace=namespace) as a,
        gateway_factory(rate_limits=limits, rate_limit_namespace=namespace) as b,
    ):
        async with httpx.AsyncClient() as c:
            statuses = [
                (await c.get(f"{url}/api/v1/products/", headers=bearer(token))).status_code for url in (a, b, a, b, a)
            ]
    assert statuses == [200, 200, 200, 200, 429]


async def test_redis_down_lets_requests_through_without_limits(
    gateway_factory: Any, redis_relay: Any, keys: Any
) -> None:
    with gateway_factory(redis_url=redis_relay.redis_url, rate_limits=LIMITS, revocation_fail_open=True) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            redis_relay.cut()
            token = keys.mint()
            statuses = [(await c.get("/api/v1/products/", headers=bearer(token))).status_code for _ in range(7)]
    assert statuses == [200] * 7


async def test_every_counter_expires_after_its_window(gateway_factory: Any, keys: Any, redis: Any) -> None:
    """A counter is given its expiry when a request creates it, and keeps it: counters of past windows never pile up
    in Redis."""
    namespace = f"expiry-{uuid.uuid4().hex[:8]}"
    limits = [RateLimitRule(prefix="/api/v1", per_user=100, per_ip=100, window=timedelta(seconds=30))]
    with gateway_factory(rate_limits=limits, rate_limit_namespace=namespace) as url:
        async with httpx.AsyncClient(base_url=url) as c:
            for _ in range(3):
                assert (await c.get("/api/v1/products/", headers=bearer(keys.mint()))).status_code == 200
    counters = [key async for key in redis.scan_iter(match=f"{namespace}:*")]
    assert len(counters) >= 4  # three users' and the address's (a window may have turned between requests)
    for key in counters:
        assert 0 < await redis.ttl(key) <= 31

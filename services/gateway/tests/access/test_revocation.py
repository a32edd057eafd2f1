"""A logged-out session's tokens stop working at the gateway at once; Redis down is handled as documented."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from crm_common.security.revocation import RevocationStore


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_revoked_session_is_401(client: httpx.AsyncClient, keys: Any, redis: Any) -> None:
    sid = str(uuid.uuid4())
    token = keys.mint(sid=sid)
    assert (await client.get("/api/v1/products/", headers=bearer(token))).status_code == 200
    await RevocationStore(redis).revoke(sid, 60)
    response = await client.get("/api/v1/products/", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "detail": "session has been revoked"}


async def test_other_sessions_of_the_same_user_keep_working(client: httpx.AsyncClient, keys: Any, redis: Any) -> None:
    user, revoked_sid = str(uuid.uuid4()), str(uuid.uuid4())
    await RevocationStore(redis).revoke(revoked_sid, 60)
    response = await client.get("/api/v1/products/", headers=bearer(keys.mint(sub=user)))
    assert response.status_code == 200


async def test_redis_down_fails_closed_for_authenticated_routes(
    gateway_factory: Any, redis_relay: Any, keys: Any
) -> None:
    with gateway_factory(redis_url=redis_relay.redis_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as c:
            assert (await c.get("/api/v1/products/", headers=bearer(keys.mint()))).status_code == 200
            redis_relay.cut()
            protected = await c.get("/api/v1/products/", headers=bearer(keys.mint()))
            login = await c.post("/api/v1/auth/login", json={"email": "a@b.ru", "password": "p"})
    assert protected.status_code == 503
    assert protected.json()["error"] == "ServiceUnavailable"
    assert login.status_code == 200  # public routes and rate limits fail open


async def test_redis_down_can_be_configured_to_fail_open(gateway_factory: Any, redis_relay: Any, keys: Any) -> None:
    with gateway_factory(redis_url=redis_relay.redis_url, revocation_fail_open=True) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as c:
            redis_relay.cut()
            response = await c.get("/api/v1/products/", headers=bearer(keys.mint()))
    assert response.status_code == 200

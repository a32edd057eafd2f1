from __future__ import annotations

import time

import jwt
from auth_testkit import bearer, login, make_user
from httpx import AsyncClient

from auth_service.context import AuthContext
from crm_common.security.revocation import KEY, RevocationStore


async def test_logout_stops_the_access_token_at_once(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)
    assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 200

    response = await client.post("/api/v1/auth/logout", headers=bearer(tokens))

    assert response.status_code == 204
    after = await client.get("/api/v1/auth/me", headers=bearer(tokens))
    assert after.status_code == 401
    assert after.json() == {"error": "Unauthorized", "detail": "session has been revoked"}


async def test_logout_writes_a_revocation_entry_that_lives_until_the_token_expires(
    ctx: AuthContext, client: AsyncClient
) -> None:
    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})

    await client.post("/api/v1/auth/logout", headers=bearer(tokens))

    redis = ctx.throttle.redis
    ttl = await redis.ttl(KEY.format(sid=claims["sid"]))
    remaining = claims["exp"] - time.time()
    assert remaining - 3 <= ttl <= remaining + 5  # seconds pass between issuing, revoking and reading back
    assert await RevocationStore(redis).is_revoked(claims["sid"])


async def test_logout_ends_the_refresh_token_too(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)

    await client.post("/api/v1/auth/logout", headers=bearer(tokens))

    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


async def test_logout_leaves_the_users_other_sessions_alone(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    first = await login(client, user.email)
    second = await login(client, user.email)

    await client.post("/api/v1/auth/logout", headers=bearer(first))

    assert (await client.get("/api/v1/auth/me", headers=bearer(second))).status_code == 200


async def test_logout_needs_a_token(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/logout")

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"

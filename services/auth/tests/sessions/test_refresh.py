from __future__ import annotations

import jwt
from auth_testkit import bearer, login, make_user
from httpx import AsyncClient

from auth_service.context import AuthContext
from crm_common.security.revocation import RevocationStore

REFRESH = "/api/v1/auth/refresh"


async def test_refresh_returns_a_new_pair_in_the_same_session(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    first = await login(client, user.email)

    response = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})

    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    old, new = (jwt.decode(t["access_token"], options={"verify_signature": False}) for t in (first, second))
    assert new["sid"] == old["sid"]
    assert new["jti"] != old["jti"]
    assert second["refresh_expires_at"] == first["refresh_expires_at"], "refreshing must not extend the session"


async def test_a_refresh_token_works_only_once(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)
    assert (await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})).status_code == 200

    replay = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})

    assert replay.status_code == 401
    assert replay.json() == {"error": "Unauthorized", "detail": "invalid refresh token"}


async def test_reusing_a_rotated_token_revokes_the_whole_family(ctx: AuthContext, client: AsyncClient) -> None:
    """OAuth 2.0 Security BCP: a replayed refresh token has leaked, so the legitimate holder's newer one dies too."""
    user = await make_user(ctx, ["viewer"])
    stolen = await login(client, user.email)
    legit = (await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})).json()

    assert (await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})).status_code == 401

    newest = await client.post(REFRESH, json={"refresh_token": legit["refresh_token"]})
    assert newest.status_code == 401
    sid = jwt.decode(legit["access_token"], options={"verify_signature": False})["sid"]
    assert await RevocationStore(ctx.throttle.redis).is_revoked(sid)
    me = await client.get("/api/v1/auth/me", headers=bearer(legit))
    assert me.status_code == 401


async def test_reuse_does_not_touch_the_users_other_sessions(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    laptop = await login(client, user.email)
    phone = await login(client, user.email)
    await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})

    response = await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})

    assert response.status_code == 200


async def test_an_unknown_refresh_token_is_refused(client: AsyncClient) -> None:
    response = await client.post(REFRESH, json={"refresh_token": "x" * 43})

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_refresh_tokens_are_stored_hashed(ctx: AuthContext, client: AsyncClient) -> None:
    from sqlalchemy import text

    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)
    async with ctx.sessions() as session:
        stored = (await session.execute(text("select token_hash from auth.refresh_tokens"))).scalars().all()

    assert tokens["refresh_token"] not in stored
    import hashlib

    assert hashlib.sha256(tokens["refresh_token"].encode()).hexdigest() in stored

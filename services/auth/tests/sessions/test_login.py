from __future__ import annotations

import jwt
from auth_testkit import PASSWORD, bearer, login, make_user, unique_email
from httpx import AsyncClient

from auth_service.context import AuthContext
from crm_common.security.jwt import TokenVerifier


async def test_login_returns_a_bearer_access_token_and_a_refresh_token(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])

    body = await login(client, user.email)

    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert len(body["refresh_token"]) >= 40
    assert body["refresh_token"] not in body["access_token"]


async def test_login_ignores_email_case_and_surrounding_spaces(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])

    body = await login(client, f"  {user.email.upper()} ")

    assert body["access_token"]


async def test_access_token_carries_the_agreed_claims(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["manager"])

    token = (await login(client, user.email))["access_token"]

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert header["kid"] == (await ctx.keyring.signing_key()).kid
    assert claims["iss"] == "crm-auth"
    assert claims["aud"] == "crm-api"
    assert claims["sub"] == str(user.id)
    assert claims["email"] == user.email
    assert claims["roles"] == ["manager"]
    assert claims["permissions"] == [
        "analytics:read",
        "customers:write",
        "inventory:read",
        "notifications:read",
        "products:read",
        "sync:run",
    ]
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["nbf"] == claims["iat"]
    assert claims["sid"]
    assert claims["jti"]


async def test_each_login_opens_its_own_session(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])

    first = jwt.decode((await login(client, user.email))["access_token"], options={"verify_signature": False})
    second = jwt.decode((await login(client, user.email))["access_token"], options={"verify_signature": False})

    assert first["sid"] != second["sid"]
    assert first["jti"] != second["jti"]


async def test_me_describes_the_caller(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    tokens = await login(client, user.email)

    response = await client.get("/api/v1/auth/me", headers=bearer(tokens))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["roles"] == ["viewer"]
    assert "admin:users" not in body["permissions"]
    assert "products:read" in body["permissions"]


async def test_unknown_email_and_wrong_password_get_the_same_answer(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])

    wrong = await client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope-nope-nope"})
    unknown = await client.post("/api/v1/auth/login", json={"email": unique_email(), "password": "nope-nope-nope"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "Unauthorized", "detail": "invalid email or password"}
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


async def test_a_deactivated_account_cannot_log_in_and_is_not_told_why(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    from crm_common.db import transaction

    async with transaction(ctx.sessions) as session:
        from auth_service.users.repository import UserRepository

        found = await UserRepository(session).get(user.id)
        assert found is not None
        found.is_active = False

    response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})

    assert response.status_code == 401
    assert response.json()["detail"] == "invalid email or password"


async def test_tokens_verify_with_the_shared_verifier(ctx: AuthContext, client: AsyncClient) -> None:
    user = await make_user(ctx, ["viewer"])
    token = (await login(client, user.email))["access_token"]
    verifier = TokenVerifier(ctx.keyring, algorithm="EdDSA", issuer="crm-auth", audience="crm-api")

    principal = await verifier.verify(token)

    assert principal.user_id == str(user.id)
    assert principal.can("products:read")
    assert not principal.can("admin:users")

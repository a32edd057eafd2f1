from __future__ import annotations

import httpx
from auth_testkit import PASSWORD, client_for, make_user
from fastapi import FastAPI

from auth_service.app import create_app
from auth_service.context import AuthContext
from auth_service.settings import AuthSettings
from crm_common.security.jwt import JWKSKeySource, TokenVerifier
from crm_testing import serve_in_thread

JWKS_PATH = "/api/v1/auth/.well-known/jwks.json"


async def test_jwks_is_public_and_publishes_the_signing_key(ctx: AuthContext, app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.get(JWKS_PATH)

    assert response.status_code == 200
    keys = response.json()["keys"]
    current = await ctx.keyring.signing_key()
    published = {k["kid"]: k for k in keys}
    assert published[current.kid] == {**current.public_jwk}
    assert published[current.kid]["kty"] == "OKP"
    assert published[current.kid]["crv"] == "Ed25519"
    assert all("d" not in k for k in keys), "a private key member leaked into the JWKS"


async def test_a_token_issued_over_http_verifies_through_the_jwks_url(ctx: AuthContext, settings: AuthSettings) -> None:
    """What the gateway and every service do: fetch the JWKS over HTTP, then verify the bearer token."""
    user = await make_user(ctx, ["viewer"])
    with serve_in_thread(create_app(settings)) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            response = await http.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            token = response.json()["access_token"]
            verifier = TokenVerifier(
                JWKSKeySource(f"{base_url}{JWKS_PATH}", client=http),
                algorithm="EdDSA",
                issuer="crm-auth",
                audience="crm-api",
            )
            principal = await verifier.verify(token)

    assert principal.user_id == str(user.id)
    assert principal.permissions == frozenset(
        {"products:read", "inventory:read", "analytics:read", "notifications:read"}
    )


async def test_default_jwks_url_matches_the_route(settings: AuthSettings) -> None:
    assert settings.jwks_url == f"http://127.0.0.1:{settings.port}{JWKS_PATH}"

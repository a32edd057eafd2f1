"""401 and 403 with the uniform body; public routes pass without a token; keys come from the JWKS of auth."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_uniform(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status
    assert set(response.json()) == {"error", "detail"}
    assert response.json()["error"] == error


async def test_missing_token_is_401_and_never_reaches_the_service(client: httpx.AsyncClient, stack: Any) -> None:
    before = stack.apps["catalog"].state.hits
    response = await client.get("/api/v1/products/")
    assert_uniform(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert stack.apps["catalog"].state.hits == before


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt"])
async def test_malformed_authorization_is_401(client: httpx.AsyncClient, header: str) -> None:
    assert_uniform(await client.get("/api/v1/products/", headers={"authorization": header}), 401, "Unauthorized")


async def test_expired_token_is_401(client: httpx.AsyncClient, keys: Any) -> None:
    old = int(time.time()) - 3600
    token = keys.mint(iat=old, nbf=old, exp=old + 60)
    response = await client.get("/api/v1/products/", headers=bearer(token))
    assert_uniform(response, 401, "Unauthorized")
    assert "expired" in response.json()["detail"]


async def test_token_from_another_issuer_or_audience_is_401(client: httpx.AsyncClient, keys: Any) -> None:
    for override in ({"iss": "someone-else"}, {"aud": "other-api"}):
        response = await client.get("/api/v1/products/", headers=bearer(keys.mint(**override)))
        assert_uniform(response, 401, "Unauthorized")


async def test_token_signed_by_an_unpublished_key_is_401(client: httpx.AsyncClient, keys: Any) -> None:
    keys.add("rogue", publish=False)
    response = await client.get("/api/v1/products/", headers=bearer(keys.mint(kid="rogue")))
    assert_uniform(response, 401, "Unauthorized")


async def test_hmac_token_is_401(client: httpx.AsyncClient) -> None:
    forged = jwt.encode({"sub": "x"}, "s" * 64, algorithm="HS256", headers={"kid": "k1"})
    assert_uniform(await client.get("/api/v1/products/", headers=bearer(forged)), 401, "Unauthorized")


async def test_a_new_signing_key_is_picked_up_from_the_jwks(client: httpx.AsyncClient, keys: Any, stack: Any) -> None:
    keys.add("k2")
    fetches = getattr(stack.apps["auth"].state, "jwks_fetches", 0)
    response = await client.get("/api/v1/products/", headers=bearer(keys.mint(kid="k2")))
    assert response.status_code == 200
    assert stack.apps["auth"].state.jwks_fetches == fetches + 1


async def test_keys_are_cached_between_requests(client: httpx.AsyncClient, keys: Any, stack: Any) -> None:
    await client.get("/api/v1/products/", headers=bearer(keys.mint()))
    fetches = stack.apps["auth"].state.jwks_fetches
    for _ in range(5):
        assert (await client.get("/api/v1/products/", headers=bearer(keys.mint()))).status_code == 200
    assert stack.apps["auth"].state.jwks_fetches == fetches


async def test_missing_permission_is_403(client: httpx.AsyncClient, keys: Any) -> None:
    token = keys.mint(["inventory:read"])
    response = await client.get("/api/v1/products/", headers=bearer(token))
    assert_uniform(response, 403, "Forbidden")
    assert "products:read" in response.json()["detail"]


async def test_write_needs_the_write_permission(client: httpx.AsyncClient, keys: Any) -> None:
    reader = keys.mint(["inventory:read"])
    assert (await client.get("/api/v1/inventory/stock", headers=bearer(reader))).status_code == 200
    assert_uniform(await client.post("/api/v1/inventory/stock", headers=bearer(reader)), 403, "Forbidden")


async def test_admin_routes_need_admin_permissions(client: httpx.AsyncClient, keys: Any) -> None:
    viewer = keys.mint(["products:read", "inventory:read", "analytics:read", "notifications:read"])
    for path in ("/api/v1/admin/users", "/api/v1/admin/roles", "/api/v1/admin/audit", "/api/v1/admin/integrations"):
        assert_uniform(await client.get(path, headers=bearer(viewer)), 403, "Forbidden")


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/.well-known/jwks.json"])
async def test_public_routes_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    if path.endswith("login"):
        response = await client.post(path, json={"email": "a@b.ru", "password": "p"})
    else:
        response = await client.get(path)
    assert response.status_code == 200


async def test_other_auth_routes_need_a_token_but_no_permission(client: httpx.AsyncClient, keys: Any) -> None:
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=bearer(keys.mint([])))).status_code == 200

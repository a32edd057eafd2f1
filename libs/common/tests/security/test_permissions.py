"""``require_permission`` and ``current_principal`` on a real app: who gets through, and what the others are told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from redis.asyncio import Redis

from crm_common.redis_breaker import RedisBreaker
from crm_common.security import current_principal, require_permission
from crm_common.security.jwt import Principal
from crm_common.security.revocation import RevocationStore, SessionCheck
from crm_common.web.app import create_service_app
from crm_testing import TokenMint, redis_url

router = APIRouter(prefix="/t")


@router.get("/guarded", dependencies=[Depends(require_permission("things:read"))])
async def guarded(request: Request) -> dict[str, Any]:
    return {"user": request.state.principal.user_id}


@router.get("/me")
async def me(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    return {"user": principal.user_id, "permissions": sorted(principal.permissions)}


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    yield client
    await client.aclose()


@pytest.fixture
def mint() -> TokenMint:
    return TokenMint()


def app(mint: TokenMint, redis: Redis | None) -> Any:
    built = create_service_app(service="permissions-test", title="t", routers=[router])
    built.state.token_verifier = mint.verifier
    if redis is not None:
        built.state.session_check = SessionCheck(
            RevocationStore(redis), cache_seconds=0, breaker=RedisBreaker(cool_down=5.0)
        )
    return built


def client(built: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=built), base_url="http://t")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_caller_holding_the_permission_gets_through_as_itself(mint: TokenMint, redis: Redis) -> None:
    async with client(app(mint, redis)) as c:
        answer = await c.get("/t/guarded", headers=bearer(mint.token("things:read", user="ann")))
        assert (answer.status_code, answer.json()) == (200, {"user": "ann"})
        answer = await c.get("/t/me", headers=bearer(mint.token("a", "b", user="bob")))
        assert answer.json() == {"user": "bob", "permissions": ["a", "b"]}


async def test_each_refusal_has_its_status_and_says_why(mint: TokenMint, redis: Redis) -> None:
    token = mint.token("things:read")
    async with client(app(mint, redis)) as c:
        for path in ("/t/guarded", "/t/me"):
            assert (await c.get(path)).json() == {"error": "Unauthorized", "detail": "missing bearer token"}
            answer = await c.get(path, headers={"Authorization": f"Basic {token}"})
            assert (answer.status_code, answer.json()["detail"]) == (401, "missing bearer token")
            answer = await c.get(path, headers=bearer(TokenMint().token("things:read")))  # another key signed it
            assert (answer.status_code, answer.json()["error"]) == (401, "Unauthorized")
        answer = await c.get("/t/guarded", headers=bearer(mint.token("other:read")))
        assert (answer.status_code, answer.json()) == (
            403,
            {"error": "Forbidden", "detail": "permission 'things:read' required"},
        )


async def test_a_revoked_session_is_refused_whatever_its_permissions(mint: TokenMint, redis: Redis) -> None:
    token = mint.token("things:read")
    session_id = (await mint.verifier.verify(token)).session_id
    async with client(app(mint, redis)) as c:
        assert (await c.get("/t/guarded", headers=bearer(token))).status_code == 200
        await RevocationStore(redis).revoke(session_id, 60)
        for path in ("/t/guarded", "/t/me"):
            answer = await c.get(path, headers=bearer(token))
            assert (answer.status_code, answer.json()["detail"]) == (401, "session has been revoked")


async def test_a_service_without_the_revocation_check_refuses_rather_than_trusts(mint: TokenMint) -> None:
    async with client(app(mint, None)) as c:
        for path in ("/t/guarded", "/t/me"):
            answer = await c.get(path, headers=bearer(mint.token("things:read")))
            assert answer.status_code == 503


def test_the_openapi_document_names_the_bearer_scheme_on_a_guarded_route(mint: TokenMint) -> None:
    spec = app(mint, None).openapi()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/t/guarded"]["get"]["security"] == [{"HTTPBearer": []}]

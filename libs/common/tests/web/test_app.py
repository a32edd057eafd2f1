from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from crm_common.errors import NotFound
from crm_common.security import Permission, Principal, StaticKeySource, TokenVerifier, require_permission
from crm_common.web.app import create_service_app
from crm_common.web.query import QueryParameters

router = APIRouter()


class Body(BaseModel):
    name: str


class ThingQuery(BaseModel):
    limit: int = Field(10, le=100)


class NulQuery(BaseModel):
    q: str = ""


@router.get("/things/{thing_id}")
async def get_thing(thing_id: int, _: Annotated[ThingQuery, Depends(QueryParameters(ThingQuery))]) -> dict[str, int]:
    if thing_id == 0:
        raise NotFound("thing 0 does not exist")
    return {"id": thing_id}


@router.post("/things")
async def make_thing(body: Body) -> Body:
    return body


@router.get("/overflow")
async def overflow() -> None:
    raise OverflowError("date value out of range")


@router.get("/nul")
async def nul(query: Annotated[NulQuery, Depends(QueryParameters(NulQuery))]) -> None:
    from sqlalchemy.exc import DataError

    raise DataError("select ...", {"q": query.q}, ValueError("invalid byte sequence for encoding UTF8: 0x00"))


@router.get("/secret")
async def secret(p: Principal = Depends(require_permission(Permission.ADMIN_USERS))) -> dict[str, str]:
    return {"user": p.user_id}


def client() -> httpx.AsyncClient:
    app = create_service_app(service="t", title="t", routers=[router])
    app.state.token_verifier = TokenVerifier(StaticKeySource({}), algorithm="EdDSA", issuer="i", audience="a")

    async def failing() -> None:
        raise ConnectionError("db down")

    app.state.health_checks = {"postgres": failing}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_app_error_renders_the_uniform_body() -> None:
    async with client() as c:
        r = await c.get("/things/0")
    assert r.status_code == 404
    assert r.json() == {"error": "NotFound", "detail": "thing 0 does not exist"}


async def test_bad_query_parameter_is_422_with_the_uniform_body() -> None:
    async with client() as c:
        r = await c.get("/things/1", params={"limit": 1000})
    assert r.status_code == 422
    assert r.json()["error"] == "ValidationError"
    assert "limit" in r.json()["detail"]


async def test_malformed_json_is_422_with_the_uniform_body() -> None:
    async with client() as c:
        r = await c.post("/things", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert set(r.json()) == {"error", "detail"}


async def test_unknown_path_is_404_with_the_uniform_body() -> None:
    async with client() as c:
        r = await c.get("/nowhere")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"


async def test_missing_token_is_401() -> None:
    async with client() as c:
        r = await c.get("/secret")
    assert r.status_code == 401
    assert r.json()["error"] == "Unauthorized"


async def test_request_id_is_echoed_or_created() -> None:
    async with client() as c:
        given = await c.get("/things/1", headers={"x-request-id": "abc-123"})
        made = await c.get("/things/1")
        hostile = await c.get("/things/1", headers={"x-request-id": "a b<script>"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "a b<script>"


async def test_readiness_reports_the_failing_part() -> None:
    async with client() as c:
        live = await c.get("/health/live")
        ready = await c.get("/health/ready")
    assert live.status_code == 200
    assert ready.status_code == 503
    assert "db down" in ready.json()["checks"]["postgres"]


async def test_metrics_count_requests_by_route_template() -> None:
    async with client() as c:
        await c.get("/things/7")
        text = (await c.get("/metrics")).text
    assert 'route="/things/{thing_id}"' in text


async def test_values_the_database_refuses_are_422_not_500() -> None:
    async with client() as c:
        nul = await c.get("/nul", params={"q": "a\x00b"})
        overflow = await c.get("/overflow")
    assert (nul.status_code, overflow.status_code) == (422, 422)
    assert nul.json()["error"] == overflow.json()["error"] == "ValidationError"


async def test_openapi_documents_the_uniform_422_body() -> None:
    async with client() as c:
        spec = (await c.get("/openapi.json")).json()
    body = spec["paths"]["/things/{thing_id}"]["get"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in str(spec)
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"error", "detail"}


async def test_routers_are_served_as_the_apps_own_routes_with_their_prefix_and_dependencies() -> None:
    permission = Depends(require_permission("x:read"))
    guarded = APIRouter(prefix="/api/v1/guarded", tags=["guarded"], dependencies=[permission])

    @guarded.get("/items")
    async def items() -> list[int]:
        return [1]

    app = create_service_app(service="t", title="t", routers=[router, guarded])
    app.state.token_verifier = TokenVerifier(StaticKeySource({}), algorithm="EdDSA", issuer="i", audience="a")
    paths = [getattr(route, "path", None) for route in app.routes]
    assert {"/api/v1/guarded/items", "/things/{thing_id}", "/health/live"} <= set(paths)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/api/v1/guarded/items")).status_code == 401  # the router's dependency still guards it
        assert (await c.get("/things/7")).json() == {"id": 7}
    assert app.openapi()["paths"]["/api/v1/guarded/items"]["get"]["tags"] == ["guarded"]


def test_a_router_with_hooks_of_its_own_is_refused() -> None:
    hooked = APIRouter(on_startup=[lambda: None])
    with pytest.raises(ValueError, match="lifespan"):
        create_service_app(service="t", title="t", routers=[hooked])

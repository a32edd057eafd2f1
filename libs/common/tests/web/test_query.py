"""A route's query parameters read as one model (crm_common.web.query): the same parameters, values, errors and
OpenAPI document as FastAPI's own reading of the same declarations in a signature."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any, Literal

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel, Field

from crm_common.web.app import create_service_app
from crm_common.web.pages import Offset, OffsetField
from crm_common.web.query import QueryParameters, refuse_loose_query_parameters


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class ThingQuery(BaseModel):
    colour: Colour = Colour.RED
    shade: Colour | None = None
    since: date | None = Field(default=None, description="Only things made on or after this day.")
    tag: list[str] = Field(default_factory=list)
    state: Literal["open", "closed", "all"] = "open"
    service_name: str | None = Field(default=None, alias="service")
    direction: str = Field(default="asc", pattern="^(asc|desc)$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: OffsetField = 0


THINGS = QueryParameters(ThingQuery)


class NeedsQuery(BaseModel):
    name: str
    top: int = Field(default=10, ge=1, le=100)


modelled = APIRouter()


@modelled.get("/things/{thing_id}")
async def things(thing_id: int, query: Annotated[ThingQuery, Depends(THINGS)]) -> dict[str, Any]:
    return {"thing_id": thing_id, **query.model_dump(mode="json", by_alias=True)}


@modelled.get("/needs")
async def needs(query: Annotated[NeedsQuery, Depends(QueryParameters(NeedsQuery))]) -> dict[str, Any]:
    return query.model_dump()


# The same parameters declared in a signature, read by FastAPI itself: the reference.
signature = APIRouter()


@signature.get("/things/{thing_id}")
async def things_by_signature(
    thing_id: int,
    colour: Colour = Colour.RED,
    shade: Colour | None = None,
    since: date | None = Query(default=None, description="Only things made on or after this day."),
    tag: list[str] = Query(default_factory=list),
    state: Literal["open", "closed", "all"] = "open",
    service_name: str | None = Query(default=None, alias="service"),
    direction: str = Query(default="asc", pattern="^(asc|desc)$"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: Offset = 0,
) -> dict[str, Any]:
    return {
        "thing_id": thing_id,
        "colour": colour,
        "shade": shade,
        "since": since,
        "tag": tag,
        "state": state,
        "service": service_name,
        "direction": direction,
        "limit": limit,
        "offset": offset,
    }


def modelled_app() -> FastAPI:
    return create_service_app(service="t", title="t", routers=[modelled])


def signature_app() -> FastAPI:
    app = FastAPI()
    app.include_router(signature)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "colour=green&shade=red&since=2026-06-01&tag=a&tag=b&state=all&service=catalog&direction=desc&limit=500&offset=7",
        "limit=1&limit=20",  # a repeated parameter counts once, the last
        "tag=only&unknown=ignored",
        "since=",  # an empty value, answered as FastAPI answers it
    ],
)
async def test_values_are_read_as_fastapi_reads_them(query: str) -> None:
    async with client(modelled_app()) as ours, client(signature_app()) as theirs:
        mine, reference = await ours.get(f"/things/3?{query}"), await theirs.get(f"/things/3?{query}")
    assert mine.status_code == reference.status_code
    if reference.status_code == 200:
        assert mine.json() == reference.json()


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("colour=blue", "query.colour"),
        ("since=yesterday", "query.since"),
        ("state=maybe", "query.state"),
        ("direction=up", "query.direction"),
        ("limit=0", "query.limit"),
        ("limit=x", "query.limit"),
        ("offset=-1", "query.offset"),
        ("offset=1000000001", "query.offset"),
    ],
)
async def test_a_refused_value_is_a_422_naming_the_parameter(query: str, where: str) -> None:
    async with client(modelled_app()) as ours, client(signature_app()) as theirs:
        mine, reference = await ours.get(f"/things/3?{query}"), await theirs.get(f"/things/3?{query}")
    assert reference.status_code == 422
    assert mine.status_code == 422
    body = mine.json()
    assert body["error"] == "ValidationError"
    assert body["detail"].startswith(f"{where}: ")


async def test_a_required_parameter_missing_is_a_422() -> None:
    async with client(modelled_app()) as ours:
        missing = await ours.get("/needs?top=3")
        given = await ours.get("/needs?name=x&top=3")
    assert missing.status_code == 422
    assert missing.json()["detail"] == "query.name: Field required"
    assert given.json() == {"name": "x", "top": 3}


def test_the_openapi_document_lists_them_as_fastapi_would() -> None:
    ours, theirs = modelled_app().openapi(), signature_app().openapi()
    mine = ours["paths"]["/things/{thing_id}"]["get"]["parameters"]
    reference = theirs["paths"]["/things/{thing_id}"]["get"]["parameters"]
    assert [p["name"] for p in mine] == [p["name"] for p in reference]
    assert mine == reference
    assert ours["components"]["schemas"]["Colour"] == theirs["components"]["schemas"]["Colour"]
    needs = ours["paths"]["/needs"]["get"]
    assert [(p["name"], p["required"]) for p in needs["parameters"]] == [("name", True), ("top", False)]
    # FastAPI documents a 422 for a route with parameters; one whose only parameters are a model's keeps it
    assert needs["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


def test_a_query_parameter_in_a_signature_is_refused() -> None:
    with pytest.raises(ValueError, match=r"GET /things/\{thing_id\} \(colour, shade, since, tag"):
        refuse_loose_query_parameters(signature.routes)
    refuse_loose_query_parameters(modelled.routes)  # models only: accepted

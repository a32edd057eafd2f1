"""``/entity/{type}`` lists and ``/entity/{type}/{id}`` reads for reference entities, plus context."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.documents.model import DOCUMENT_TYPES
from moysklad_simulator.documents.views import get_document, list_documents
from moysklad_simulator.errors import MoySkladError, not_found
from moysklad_simulator.filters import Record, Special
from moysklad_simulator.listing import envelope, page, parse_query, select
from moysklad_simulator.model import CANONICAL_BASE
from moysklad_simulator.render import parse_expand, render_record
from moysklad_simulator.responses import empty, encode, respond
from moysklad_simulator.store import ENTITY_TYPES, SimulatorState

router = APIRouter()

SPECIALS: dict[str, dict[str, Special]] = {
    "variant": {"productid": lambda rec: rec["product"].id},
    "productfolder": {"parent": lambda rec: rec.get("productFolder")},
    "store": {"parent": lambda rec: rec.get("parent")},
}
# Plain lists leave archived entities out unless the filter names `archived` (docs/moysklad.md, "Collections").
WITHOUT_ARCHIVED_DEFAULT = frozenset({"uom", "group", "currency", "webhook"})


def sim(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.sim
    return state


def list_entities(request: Request, entity_type: str) -> dict[str, Any]:
    """The list envelope for a reference entity type (shared with the document router)."""
    state = sim(request)
    query = parse_query(f"entity/{entity_type}", request.query_params.multi_items())
    defaults = {} if entity_type in WITHOUT_ARCHIVED_DEFAULT else {"archived": "false"}
    rows = select(
        state.records(entity_type),
        query,
        entity_type,
        specials=SPECIALS.get(entity_type, {}),
        defaults=defaults,
        cache=state.listings if state.settings.list_cache else None,
        stamp=state.stamp(entity_type),
    )
    rendered = [render_record(rec, state, query.expand) for rec in page(rows, query)]
    return envelope(query, entity_type, len(rows), rendered)


@router.get("/entity/{entity_type}")
def get_entity_list(request: Request, entity_type: str) -> Response:
    """List entities of one type."""
    if entity_type in DOCUMENT_TYPES:
        return respond(request, list_documents(request, entity_type))
    if entity_type not in ENTITY_TYPES:
        raise MoySkladError(400, 1005, f"Неизвестный тип сущности: '{entity_type}'")
    return respond(request, list_entities(request, entity_type))


@router.get("/entity/{entity_type}/{entity_id}")
def get_entity(request: Request, entity_type: str, entity_id: str) -> Response:
    """Read one entity by id."""
    state = sim(request)
    if entity_id == "metadata" and (entity_type in ENTITY_TYPES or entity_type in DOCUMENT_TYPES):
        return respond(request, metadata(state, entity_type))
    if entity_type in DOCUMENT_TYPES:
        return respond(request, get_document(request, entity_type, entity_id))
    if entity_type not in ENTITY_TYPES:
        raise MoySkladError(400, 1005, f"Неизвестный тип сущности: '{entity_type}'")
    record = state.get(entity_type, entity_id)
    if record is None:
        return _redirect_or_404(request, state, entity_type, entity_id)
    return respond(request, render_record(record, state, parse_expand(request.query_params.get("expand"))))


def _redirect_or_404(request: Request, state: SimulatorState, entity_type: str, entity_id: str) -> Response:
    """UI ids of product/service/bundle/variant answer 308 to the API id (docs/moysklad.md, "Identifiers")."""
    target = state.ui_index.get(entity_id)
    if target is None or target.type != entity_type:
        raise not_found(entity_type, entity_id)
    location = encode(request, f"{CANONICAL_BASE}/entity/{target.type}/{target.id}").decode().strip('"')
    return empty(308, {"Location": location})


def metadata(state: SimulatorState, entity_type: str) -> dict[str, Any]:
    """A minimal ``/entity/{type}/metadata``: no custom attributes; document states where there are any."""
    body: dict[str, Any] = {
        "meta": {"href": f"{CANONICAL_BASE}/entity/{entity_type}/metadata", "mediaType": "application/json"},
        "attributes": {
            "meta": {
                "href": f"{CANONICAL_BASE}/entity/{entity_type}/metadata/attributes",
                "type": "attributemetadata",
                "mediaType": "application/json",
                "size": 0,
                "limit": 1000,
                "offset": 0,
            }
        },
    }
    states = state.doc_states.get(entity_type)
    if states:
        body["states"] = [render_record(s, state) for s in states.values()]
    body["createShared"] = entity_type in DOCUMENT_TYPES
    return body


@router.get("/context/employee")
def context_employee(request: Request) -> Response:
    """Return the calling employee."""
    state = sim(request)
    record: Record | None = state.get("employee", state.admin_id)
    assert record is not None
    rendered = render_record(record, state)
    rendered["meta"] = {
        "href": f"{CANONICAL_BASE}/context/employee",
        "metadataHref": f"{CANONICAL_BASE}/entity/employee/metadata",
        "type": "employee",
        "mediaType": "application/json",
    }
    return respond(request, rendered)


@router.get("/context/companysettings/pricetype")
def price_types(request: Request) -> Response:
    """List the price types as a bare array."""
    state = sim(request)
    return respond(request, [render_record(pt, state) for pt in state.price_types])


@router.get("/context/companysettings/pricetype/{type_id}")
def price_type(request: Request, type_id: str) -> Response:
    """Read one price type; ``default`` is the first one."""
    state = sim(request)
    for index, pt in enumerate(state.price_types):
        if pt["id"] == type_id or (type_id == "default" and index == 0):
            return respond(request, render_record(pt, state))
    raise not_found("pricetype", type_id)

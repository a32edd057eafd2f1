"""Document lists, single documents and their ``/positions`` sub-collections (docs/moysklad.md, "Documents")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.documents.model import POSITION_TYPES, STOCK_AT_MOMENT, Position, position_record
from moysklad_simulator.errors import MoySkladError, not_found
from moysklad_simulator.filters import Record, Special
from moysklad_simulator.listing import envelope, page, parse_query, select
from moysklad_simulator.model import Collection
from moysklad_simulator.render import parse_expand, render_record
from moysklad_simulator.responses import respond
from moysklad_simulator.store import SimulatorState

router = APIRouter()
DOC_ORDER_FIELDS = frozenset({"id", "updated", "name", "code", "externalCode", "created", "moment", "sum"})


def document_specials(state: SimulatorState) -> dict[str, Special]:
    def state_name(rec: Record) -> Any:
        target = state.find(rec["state"]) if "state" in rec else None
        return target["name"] if target else None

    return {
        "isDeleted": lambda rec: bool(rec.get("_trashed")),
        "state.name": state_name,
        "assortment": lambda rec: [p.assortment.id for p in rec["_positions"]],
    }


def document_view(state: SimulatorState, doc_type: str, doc: Record, with_stock: bool) -> Record:
    """A shallow copy of the stored document with its positions as a nested collection."""
    view = {k: v for k, v in doc.items() if k != "_positions"}
    positions: list[Position] = doc["_positions"]
    view["positions"] = Collection(
        f"entity/{doc_type}/{doc['id']}/positions",
        POSITION_TYPES[doc_type],
        lambda: [position_view(state, doc_type, doc, p, with_stock) for p in positions],
    )
    return view


def position_view(state: SimulatorState, doc_type: str, doc: Record, pos: Position, with_stock: bool) -> Record:
    record = position_record(doc_type, doc, pos, state.account_id)
    if with_stock and pos.assortment.type != "service":  # a service has no stock; its cost is on the position
        record["stock"] = position_stock(state, doc_type, doc, pos)
    return record


def position_stock(state: SimulatorState, doc_type: str, doc: Record, pos: Position) -> dict[str, float]:
    """``fields=stock``: at the document moment for shipments/receipts, current for orders.

    See docs/moysklad.md, "Documents".
    """
    if doc_type in STOCK_AT_MOMENT:
        cost = pos.price if doc_type == "supply" else pos.cost
        return {"cost": cost, "quantity": pos.stock, "reserve": 0.0, "intransit": 0.0, "available": pos.stock}
    ledger = state.ledger
    key = (doc["store"].id if "store" in doc else "", pos.assortment.id)
    stock, reserve, transit = ledger.stock.get(key, 0.0), ledger.reserve.get(key, 0.0), ledger.in_transit.get(key, 0.0)
    return {
        "cost": ledger.cost.get(pos.assortment.id, 0.0),
        "quantity": stock,
        "reserve": reserve,
        "intransit": transit,
        "available": round(stock - reserve + transit, 3),
    }


def list_documents(request: Request, doc_type: str) -> dict[str, Any]:
    state: SimulatorState = request.app.state.sim
    query = parse_query(f"entity/{doc_type}", request.query_params.multi_items())
    rows = select(
        state.records(doc_type),
        query,
        doc_type,
        specials=document_specials(state),
        defaults={"isDeleted": "false"},
        order_fields=DOC_ORDER_FIELDS,
        cache=state.listings if state.settings.list_cache else None,
        stamp=state.stamp(doc_type),
    )
    with_stock = query.fields == "stock"
    rendered = [
        render_record(document_view(state, doc_type, doc, with_stock), state, query.expand) for doc in page(rows, query)
    ]
    return envelope(query, doc_type, len(rows), rendered)


def get_document(request: Request, doc_type: str, doc_id: str) -> Record:
    state: SimulatorState = request.app.state.sim
    doc = find_document(state, doc_type, doc_id)
    with_stock = request.query_params.get("fields") == "stock"
    expand = parse_expand(request.query_params.get("expand"))
    return render_record(document_view(state, doc_type, doc, with_stock), state, expand)


def find_document(state: SimulatorState, doc_type: str, doc_id: str) -> Record:
    if doc_type not in POSITION_TYPES:
        raise MoySkladError(400, 1005, f"Неизвестный тип сущности: '{doc_type}'")
    doc = state.get(doc_type, doc_id)
    if doc is None:
        raise not_found(doc_type, doc_id)
    return doc


@router.get("/entity/{doc_type}/{doc_id}/positions")
def list_positions(request: Request, doc_type: str, doc_id: str) -> Response:
    """List a document's positions."""
    state: SimulatorState = request.app.state.sim
    doc = find_document(state, doc_type, doc_id)
    query = parse_query(f"entity/{doc_type}/{doc_id}/positions", request.query_params.multi_items())
    with_stock = query.fields == "stock"
    rows = [
        render_record(position_view(state, doc_type, doc, p, with_stock), state, query.expand)
        for p in page(doc["_positions"], query)
    ]
    return respond(request, envelope(query, POSITION_TYPES[doc_type], len(doc["_positions"]), rows))


@router.get("/entity/{doc_type}/{doc_id}/positions/{position_id}")
def get_position(request: Request, doc_type: str, doc_id: str, position_id: str) -> Response:
    """Read one position of a document."""
    state: SimulatorState = request.app.state.sim
    doc = find_document(state, doc_type, doc_id)
    for pos in doc["_positions"]:
        if pos.id == position_id:
            with_stock = request.query_params.get("fields") == "stock"
            expand = parse_expand(request.query_params.get("expand"))
            return respond(request, render_record(position_view(state, doc_type, doc, pos, with_stock), state, expand))
    raise not_found(POSITION_TYPES[doc_type], position_id)

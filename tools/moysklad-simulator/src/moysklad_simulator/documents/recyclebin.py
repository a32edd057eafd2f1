"""Moving documents to the recycle bin and back (docs/moysklad.md, "Audit feed, recycle bin, late `updated`").

``POST /entity/{doc}/{id}/trash`` is MoySklad's own request. MoySklad restores only in its web UI; the simulator offers
``POST /__sim/restore/{doc}/{id}`` in its stead. Both leave ``updated`` alone, record the audit event MoySklad records
(``puttorecyclebin``, ``restorefromrecyclebin``) and take the document's stock out of the ledger or put it back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.audit import record_event
from moysklad_simulator.documents.views import find_document
from moysklad_simulator.model import Ref
from moysklad_simulator.responses import empty
from moysklad_simulator.store import SimulatorState

router = APIRouter()
admin_router = APIRouter(prefix="/__sim", tags=["simulator admin"])
# how a posted document moves stock: goods in (+1) or out (−1)
STOCK_SIGN = {"supply": 1, "salesreturn": 1, "retailsalesreturn": 1, "demand": -1, "retaildemand": -1}


def stock_lines(state: SimulatorState, doc: dict[str, Any]) -> list[tuple[Ref, float]]:
    """The items a document's positions move: none for a service, the components for a bundle."""
    lines: list[tuple[Ref, float]] = []
    for position in doc["_positions"]:
        kind = position.assortment.type
        if kind == "bundle":
            bundle = state.find(position.assortment) or {}
            parts = bundle["components"].materialize() if "components" in bundle else []
            lines += [(part["assortment"], part["quantity"] * position.quantity) for part in parts]
        elif kind != "service":
            lines.append((position.assortment, position.quantity))
    return lines


def set_trashed(state: SimulatorState, doc_type: str, doc: dict[str, Any], trashed: bool) -> None:
    """Put ``doc`` in the recycle bin or take it out; nothing happens when it already is where it should go."""
    if bool(doc.get("_trashed")) == trashed:
        return
    stamp = state.next_updated()
    sign = STOCK_SIGN.get(doc_type, 0) * (-1 if trashed else 1)
    if sign and doc["applicable"] and "store" in doc:
        for item, quantity in stock_lines(state, doc):
            state.ledger.adjust(doc["store"].id, item, sign * quantity, stamp)
    doc["_trashed"] = trashed
    if trashed:
        doc["deleted"] = stamp
    else:
        doc.pop("deleted", None)
    record_event(state, "puttorecyclebin" if trashed else "restorefromrecyclebin", doc["_ref"], doc["name"])


@router.post("/entity/{doc_type}/{doc_id}/trash")
def trash_document(request: Request, doc_type: str, doc_id: str) -> Response:
    """Move a document to the recycle bin."""
    state: SimulatorState = request.app.state.sim
    set_trashed(state, doc_type, find_document(state, doc_type, doc_id), True)
    return empty()  # 200; the docs show no body


@admin_router.post("/restore/{doc_type}/{doc_id}")
def restore_document(request: Request, doc_type: str, doc_id: str) -> Response:
    """Restore a document from the recycle bin, as MoySklad's web UI does."""
    state: SimulatorState = request.app.state.sim
    set_trashed(state, doc_type, find_document(state, doc_type, doc_id), False)
    return empty(204)

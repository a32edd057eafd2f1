"""Create documents consistently with the ledger; used by the history generator and by live mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moysklad_simulator.documents.model import STATES, Position, document_sums
from moysklad_simulator.model import Ref
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_moment, fmt_ms


def install_states(state: SimulatorState) -> None:
    """Create the document statuses listed under ``/entity/{doc}/metadata`` (docs/moysklad.md, "Entity details")."""
    for doc_type, rows in STATES.items():
        by_name: dict[str, dict[str, Any]] = {}
        for name, color, state_type in rows:
            state_id = state.ids.uuid()
            by_name[name] = state.add(
                "state",
                {
                    "_ref": Ref("state", state_id, f"entity/{doc_type}/metadata/states/{state_id}"),
                    "id": state_id,
                    "accountId": state.account_id,
                    "name": name,
                    "color": color,
                    "stateType": state_type,
                    "entityType": doc_type,
                },
            )
        state.doc_states[doc_type] = by_name


def state_ref(state: SimulatorState, doc_type: str, name: str) -> Ref:
    ref: Ref = state.doc_states[doc_type][name]["_ref"]
    return ref


def new_document(
    state: SimulatorState,
    doc_type: str,
    moment: datetime,
    created: datetime,
    /,
    *,
    agent: Ref,
    store: Ref | None,
    positions: list[Position],
    **extra: Any,
) -> dict[str, Any]:
    """Build and store a document in MoySklad field order; sums come from the positions.

    ``applicable=False`` (a draft) and ``vatIncluded=False`` (VAT on top of the prices) may come in ``extra``.
    """
    vat_included = bool(extra.pop("vatIncluded", True))
    total, vat_sum = document_sums(positions, vat_included)
    doc_id = state.ids.uuid()
    doc: dict[str, Any] = {
        "_ref": Ref(doc_type, doc_id),
        "id": doc_id,
        "accountId": state.account_id,
        "owner": Ref("employee", state.admin_id),
        "shared": False,
        "group": Ref("group", state.group_id),
        "updated": fmt_ms(created),
        "name": state.next_number(doc_type),
        "externalCode": state.ids.external_code(),
        "moment": fmt_moment(moment),
        "applicable": bool(extra.pop("applicable", True)),
        "rate": {"currency": Ref("currency", state.currency_id)},
        "sum": total,
    }
    if store is not None:
        doc["store"] = store
    doc.update(agent=agent, organization=Ref("organization", state.organization_id))
    doc.update({k: v for k, v in extra.items() if k.startswith("state")})
    doc.update(
        created=fmt_ms(created),
        printed=False,
        published=False,
        vatEnabled=True,
        vatIncluded=vat_included,
        vatSum=vat_sum,
    )
    doc.update({k: v for k, v in extra.items() if not k.startswith("state")})
    doc["_positions"] = positions
    return state.add(doc_type, doc)


def new_position(
    state: SimulatorState, item: Ref, quantity: float, price: float, discount: float, vat: int
) -> Position:
    return Position(state.ids.uuid(), item, quantity, price, discount, vat)


def refresh_sums(doc: dict[str, Any]) -> None:
    """Recompute ``sum``/``vatSum`` after positions changed."""
    doc["sum"], doc["vatSum"] = document_sums(doc["_positions"], doc["vatIncluded"])

"""``/report/profit/byproduct``: sales and returns with their cost, from the simulator's documents."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.documents.model import line_sum
from moysklad_simulator.errors import bad_date
from moysklad_simulator.listing import envelope, page, parse_query
from moysklad_simulator.model import entity_meta
from moysklad_simulator.responses import respond
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_ms, now_msk, parse_msk

router = APIRouter()
_FIELDS = ("sellQuantity", "sellSum", "sellCostSum", "returnQuantity", "returnSum", "returnCostSum")


def profit_by_product(state: SimulatorState, moment_from: str, moment_to: str) -> dict[str, dict[str, float]]:
    """item id → summed quantities, sums and cost sums of sales (demand, retaildemand) and returns (both kinds)."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(_FIELDS, 0.0))
    sources = (("demand", "sell"), ("retaildemand", "sell"), ("salesreturn", "return"), ("retailsalesreturn", "return"))
    for doc_type, prefix in sources:
        for doc in state.records(doc_type):
            if doc.get("_trashed") or not doc["applicable"] or not moment_from <= doc["moment"] <= moment_to:
                continue
            for pos in doc["_positions"]:
                row = totals[pos.assortment.id]
                row[f"{prefix}Quantity"] += pos.quantity
                row[f"{prefix}Sum"] += line_sum(pos, doc["vatIncluded"])
                row[f"{prefix}CostSum"] += pos.cost * pos.quantity
    return totals


def profit_row(state: SimulatorState, item_id: str, sums: dict[str, float]) -> dict[str, Any]:
    item = next(
        (
            state.get(t, item_id)
            for t in ("product", "variant", "service", "bundle")
            if state.get(t, item_id) is not None
        ),
        None,
    )
    assortment: dict[str, Any] = {"meta": entity_meta(item["_ref"], item.get("_ui"))} if item else {}
    if item is not None:
        assortment.update(name=item["name"], code=item.get("code", ""))
        if "article" in item:
            assortment["article"] = item["article"]
    sell_q, ret_q = sums["sellQuantity"], sums["returnQuantity"]
    sell_cost_sum, ret_cost_sum = round(sums["sellCostSum"], 2), round(sums["returnCostSum"], 2)
    profit = round((sums["sellSum"] - sell_cost_sum) - (sums["returnSum"] - ret_cost_sum), 2)
    return {
        "assortment": assortment,
        "margin": round((sums["sellSum"] - sell_cost_sum) / sell_cost_sum, 6) if sell_cost_sum else 0.0,
        "salesMargin": round(profit / sums["sellSum"], 6) if sums["sellSum"] else 0.0,
        "profit": profit,
        "returnCost": round(ret_cost_sum / ret_q, 2) if ret_q else 0.0,
        "returnCostSum": ret_cost_sum,
        "returnPrice": round(sums["returnSum"] / ret_q, 2) if ret_q else 0.0,
        "returnQuantity": round(ret_q, 3),
        "returnSum": round(sums["returnSum"], 2),
        "sellCost": round(sell_cost_sum / sell_q, 2) if sell_q else 0.0,
        "sellCostSum": sell_cost_sum,
        "sellPrice": round(sums["sellSum"] / sell_q, 2) if sell_q else 0.0,
        "sellQuantity": round(sell_q, 3),
        "sellSum": round(sums["sellSum"], 2),
    }


def _moment(request: Request, name: str, default: str) -> str:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    parsed = parse_msk(raw)
    if parsed is None:
        raise bad_date(raw)
    return fmt_ms(parsed)


@router.get("/report/profit/byproduct")
def profit_by_product_report(request: Request) -> Response:
    """Report profit per product; without momentFrom/momentTo the last month."""
    state: SimulatorState = request.app.state.sim
    now = now_msk()
    moment_from = _moment(request, "momentFrom", fmt_ms(now - timedelta(days=30)))
    moment_to = _moment(request, "momentTo", fmt_ms(now))
    query = parse_query("report/profit/byproduct", request.query_params.multi_items())
    totals = profit_by_product(state, moment_from, moment_to)
    rows = sorted(
        (profit_row(state, item_id, sums) for item_id, sums in totals.items()),
        key=lambda row: row["assortment"].get("name", ""),
    )
    return respond(request, envelope(query, "salesbyproduct", len(rows), page(rows, query)))

"""Stock and profit reports computed from the simulator's own ledger and documents (docs/moysklad.md, "Reports")."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.errors import MoySkladError, bad_date
from moysklad_simulator.filters import FieldConditions, parse_filter
from moysklad_simulator.listing import envelope, page, parse_query
from moysklad_simulator.model import Ref, entity_meta, id_from_href
from moysklad_simulator.responses import respond
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_ms, now_msk, parse_msk

router = APIRouter()
Totals = tuple[float, float, float]  # stock, reserve, in transit
STOCK_TYPES = ("stock", "freeStock", "quantity", "reserve", "inTransit")


def stock_by_item(state: SimulatorState, stores: set[str] | None = None) -> dict[str, dict[str, Totals]]:
    """item id → store id → (stock, reserve, inTransit), for every pair that ever moved."""
    ledger = state.ledger
    out: dict[str, dict[str, Totals]] = defaultdict(dict)
    for store_id, item_id in ledger.touched():
        if stores is not None and store_id not in stores:
            continue
        key = (store_id, item_id)
        out[item_id][store_id] = (
            ledger.stock.get(key, 0.0),
            ledger.reserve.get(key, 0.0),
            ledger.in_transit.get(key, 0.0),
        )
    return out


def _product_of(state: SimulatorState, item: dict[str, Any]) -> dict[str, Any]:
    if item["_ref"].type == "variant":
        return state.find(item["product"]) or item
    return item


def _mode_ok(mode: str, value: float, minimum: float = 0.0) -> bool:
    return {
        "all": True,
        "positiveOnly": value > 0,
        "negativeOnly": value < 0,
        "empty": value == 0,
        "nonEmpty": value != 0,
        "underMinimum": value < minimum,
    }.get(mode, True)


def _conditions(request: Request) -> dict[str, FieldConditions]:
    return parse_filter(request.query_params.get("filter"))


def _values(conds: dict[str, FieldConditions], name: str) -> list[str]:
    return [id_from_href(v) for v in conds[name].equals] if name in conds else []


def _store_filter(conds: dict[str, FieldConditions]) -> set[str] | None:
    stores = _values(conds, "store")
    return set(stores) if stores else None


def _item_row(state: SimulatorState, item: dict[str, Any], totals: Totals) -> dict[str, Any]:
    product = _product_of(state, item)
    folder = state.find(product["productFolder"]) if "productFolder" in product else None
    stock, reserve, transit = (round(v, 3) for v in totals)
    row: dict[str, Any] = {
        "meta": _item_meta(item),
        "stock": stock,
        "inTransit": transit,
        "reserve": reserve,
        "quantity": round(stock - reserve + transit, 3),
        "name": item["name"],
        "code": item.get("code", ""),
        "article": product.get("article", ""),
    }
    row["price"] = state.ledger.cost.get(item["id"], 0.0)
    row["salePrice"] = item["salePrices"][0]["value"] if item.get("salePrices") else 0.0
    uom = state.find(product["uom"]) if "uom" in product else None
    if uom is not None:
        row["uom"] = {"meta": entity_meta(uom["_ref"]), "name": uom["name"]}
    row["externalCode"] = item["externalCode"]
    if folder is not None:
        row["folder"] = {"meta": entity_meta(folder["_ref"]), "name": folder["name"], "pathName": folder["pathName"]}
    row["stockDays"] = _stock_days(state, item["id"])
    return row


def _item_meta(item: dict[str, Any]) -> dict[str, Any]:
    meta = entity_meta(item["_ref"], item.get("_ui"))
    meta["href"] += "?expand=supplier"
    return meta


def _stock_days(state: SimulatorState, item_id: str) -> int:
    last = parse_msk(state.ledger.last_receipt.get(item_id, ""))
    return max(0, (now_msk() - last).days) if last else 0


def _report_items(
    state: SimulatorState, request: Request, default_mode: str
) -> list[tuple[dict[str, Any], dict[str, Totals]]]:
    """The report's items (each with its stock per store), selected and ordered. With ``list_cache`` on, computed once
    per selection while nothing changed: a client pages the same report (at `large` size, 175 pages of 1,000) and the
    whole selection took seconds each time."""
    if not state.settings.list_cache:
        return _select_items(state, request, default_mode)
    key = (request.url.path, request.query_params.get("filter"), default_mode)
    stamp = state.stamp("product")
    cached = state.reports.get(key, stamp)
    if cached is not None:
        return cached[0]
    items = _select_items(state, request, default_mode)
    state.reports.put(key, stamp, items)
    return items


def _select_items(
    state: SimulatorState, request: Request, default_mode: str
) -> list[tuple[dict[str, Any], dict[str, Totals]]]:
    conds = _conditions(request)
    stock_mode = conds["stockMode"].equals[0] if "stockMode" in conds else default_mode
    folders = set(_values(conds, "productFolder"))
    items = []
    for item_id, per_store in stock_by_item(state, _store_filter(conds)).items():
        ref = state.ledger.items[item_id]
        item = state.find(ref)
        if item is None:
            continue
        product = _product_of(state, item)
        if folders and ("productFolder" not in product or product["productFolder"].id not in folders):
            continue
        total = sum(t[0] for t in per_store.values())
        if not _mode_ok(stock_mode, total, product.get("minimumBalance", 0.0)):
            continue
        if stock_mode == "all" and not any(any(t) for t in per_store.values()):
            continue  # quantityMode=nonEmpty (the default) drops all-zero rows
        items.append((item, per_store))
    items.sort(key=lambda pair: (_product_of(state, pair[0]).get("pathName", ""), pair[0]["name"]))
    return items


@router.get("/report/stock/all")
def stock_all(request: Request) -> Response:
    """Report stock, reserve, in-transit and cost per item."""
    state: SimulatorState = request.app.state.sim
    query = parse_query("report/stock/all", request.query_params.multi_items())
    items = _report_items(state, request, "all")
    rows = [_item_row(state, item, _sum(per_store)) for item, per_store in page(items, query)]
    return respond(request, envelope(query, "stock", len(items), rows))


def _sum(per_store: dict[str, Totals]) -> Totals:
    return (
        sum(t[0] for t in per_store.values()),
        sum(t[1] for t in per_store.values()),
        sum(t[2] for t in per_store.values()),
    )


@router.get("/report/stock/bystore")
def stock_by_store(request: Request) -> Response:
    """Report stock per item and store."""
    state: SimulatorState = request.app.state.sim
    query = parse_query("report/stock/bystore", request.query_params.multi_items())
    items = _report_items(state, request, "nonEmpty")
    rows = []
    for item, per_store in page(items, query):
        by_store = []
        for store_id, (stock, reserve, transit) in sorted(per_store.items()):
            store = state.get("store", store_id)
            by_store.append(
                {
                    "meta": entity_meta(Ref("store", store_id)),
                    "name": store["name"] if store else "",
                    "stock": round(stock, 3),
                    "reserve": round(reserve, 3),
                    "inTransit": round(transit, 3),
                }
            )
        rows.append({"meta": _item_meta(item), "stockByStore": by_store})
    return respond(request, envelope(query, "stockbystore", len(items), rows))


def _current_value(totals: Totals, stock_type: str) -> float:
    stock, reserve, transit = totals
    value = {
        "stock": stock,
        "freeStock": stock - reserve,
        "quantity": stock - reserve + transit,
        "reserve": reserve,
        "inTransit": transit,
    }[stock_type]
    return round(value, 3)


def _changed_since(state: SimulatorState, request: Request) -> set[tuple[str, str]] | None:
    raw = request.query_params.get("changedSince")
    if raw is None:
        return None
    since = parse_msk(raw)
    if since is None:
        raise bad_date(raw)
    now = now_msk()
    if since > now or since < now - timedelta(hours=24):
        raise MoySkladError(
            400, 1002, "Параметр 'changedSince' должен быть не ранее суток назад и не в будущем", "changedSince"
        )
    bound = fmt_ms(since)
    return {key for key, moment in state.ledger.changed.items() if moment >= bound}


def _current(request: Request, by_store: bool) -> list[dict[str, Any]]:
    state: SimulatorState = request.app.state.sim
    stock_type = request.query_params.get("stockType", "stock")
    if stock_type not in STOCK_TYPES:
        raise MoySkladError(400, 1002, f"Неверное значение параметра 'stockType': '{stock_type}'", "stockType")
    changed = _changed_since(state, request)
    zero_lines = request.query_params.get("include") == "zeroLines" or changed is not None
    conds = _conditions(request)
    wanted_items = {i for v in conds["assortmentId"].equals for i in v.split(",")} if "assortmentId" in conds else None
    wanted_stores = {i for v in conds["storeId"].equals for i in v.split(",")} if "storeId" in conds else None
    out = []
    for item_id, per_store in stock_by_item(state, wanted_stores).items():
        if (wanted_items is not None and item_id not in wanted_items) or (
            changed is not None and not any((s, item_id) in changed for s in per_store)
        ):
            continue
        groups = per_store.items() if by_store else [("", _sum(per_store))]
        for store_id, totals in groups:
            value = _current_value(totals, stock_type)
            if value == 0 and not zero_lines:
                continue
            row: dict[str, Any] = {"assortmentId": item_id}
            if by_store:
                row["storeId"] = store_id
            row[stock_type] = value
            out.append(row)
    return out


@router.get("/report/stock/all/current")
def stock_all_current(request: Request) -> Response:
    """Report current stock per item as a bare array."""
    return respond(request, _current(request, by_store=False))


@router.get("/report/stock/bystore/current")
def stock_by_store_current(request: Request) -> Response:
    """Report current stock per item and store as a bare array."""
    return respond(request, _current(request, by_store=True))

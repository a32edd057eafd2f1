"""Stock and profit reports agree with the documents that produced them."""

from __future__ import annotations

from collections import defaultdict

import httpx
import pytest

from moysklad_simulator import SimulatorState, generate
from moysklad_simulator.profit import profit_by_product

from .conftest import asgi_client, make_settings


def _counted(state: SimulatorState, doc_type: str) -> list[dict]:
    """Posted documents outside the recycle bin: the only ones that move stock and money."""
    return [d for d in state.records(doc_type) if d["applicable"] and not d.get("_trashed")]


def _movements(state: SimulatorState) -> dict[str, float]:
    """Stock per item replayed from the documents alone: services hold none, a bundle moves its components."""
    totals: dict[str, float] = defaultdict(float)
    movements = (("supply", 1), ("salesreturn", 1), ("retailsalesreturn", 1), ("demand", -1), ("retaildemand", -1))
    for doc_type, sign in movements:
        for doc in _counted(state, doc_type):
            for pos in doc["_positions"]:
                if pos.assortment.type == "bundle":
                    for part in state.find(pos.assortment)["components"].materialize():
                        totals[part["assortment"].id] += sign * pos.quantity * part["quantity"]
                elif pos.assortment.type != "service":
                    totals[pos.assortment.id] += sign * pos.quantity
    return totals


async def test_stock_all_matches_documents(client: httpx.AsyncClient, state: SimulatorState) -> None:
    replayed = _movements(state)
    rows: list[dict] = []
    url: str | None = "/report/stock/all"
    while url:
        body = (await client.get(url)).json()
        assert body["meta"]["type"] == "stock"
        rows.extend(body["rows"])
        url = body["meta"].get("nextHref")
    assert rows
    for row in rows:
        item_id = row["meta"]["href"].split("?")[0].rsplit("/", 1)[-1]
        assert row["stock"] == pytest.approx(replayed[item_id], abs=1e-6)
        assert row["quantity"] == pytest.approx(row["stock"] - row["reserve"] + row["inTransit"], abs=1e-6)


async def test_current_is_a_bare_array_matching_stock_all(client: httpx.AsyncClient, state: SimulatorState) -> None:
    current = (await client.get("/report/stock/all/current")).json()
    assert isinstance(current, list)
    replayed = _movements(state)
    assert all(row["stock"] == pytest.approx(replayed[row["assortmentId"]], abs=1e-6) for row in current)
    assert all(row["stock"] != 0 for row in current)


async def test_bystore_current_has_store_ids(client: httpx.AsyncClient, state: SimulatorState) -> None:
    current = (await client.get("/report/stock/bystore/current", params={"stockType": "freeStock"})).json()
    store_ids = {s["id"] for s in state.records("store")}
    assert current
    assert {row["storeId"] for row in current} <= store_ids
    assert all("freeStock" in row for row in current)


async def test_stock_bystore_filtered_by_store(client: httpx.AsyncClient, state: SimulatorState) -> None:
    store = state.records("store")[0]
    href = f"http://sim.test/api/remap/1.2/entity/store/{store['id']}"
    rows = (await client.get("/report/stock/bystore", params={"filter": f"store={href}"})).json()["rows"]
    assert rows
    assert {s["name"] for r in rows for s in r["stockByStore"]} == {store["name"]}


async def test_profit_matches_documents(client: httpx.AsyncClient, state: SimulatorState) -> None:
    params = {"momentFrom": "2024-01-01 00:00:00", "momentTo": "2026-02-01 00:00:00"}
    body = (await client.get("/report/profit/byproduct", params={**params, "limit": 1000})).json()
    assert body["meta"]["type"] == "salesbyproduct"
    expected = profit_by_product(state, "2024-01-01 00:00:00.000", "2026-02-01 00:00:00.000")
    assert body["meta"]["size"] == len(expected)
    total_sales = sum(
        d["sum"] for t in ("demand", "retaildemand") for d in _counted(state, t) if d["moment"] >= "2024-01-01"
    )
    assert sum(r["sellSum"] for r in body["rows"]) == pytest.approx(total_sales, rel=1e-6)
    row = body["rows"][0]
    assert row["profit"] == pytest.approx(
        row["sellSum"] - row["sellCostSum"] - (row["returnSum"] - row["returnCostSum"]), abs=0.05
    )


async def test_retail_sales_are_returned_as_retailsalesreturn_and_counted_as_returns(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    retail_returns = [d for d in state.records("retailsalesreturn") if d["applicable"] and not d.get("_trashed")]
    assert retail_returns, "the demo shop has returns at the till"
    assert all(d["demand"].type == "retaildemand" for d in retail_returns)
    assert all(d["demand"].type == "demand" for d in state.records("salesreturn") if "demand" in d)
    params = {"momentFrom": "2000-01-01 00:00:00", "momentTo": "2030-01-01 00:00:00", "limit": 1000}
    rows = (await client.get("/report/profit/byproduct", params=params)).json()["rows"]
    returns = [d for t in ("salesreturn", "retailsalesreturn") for d in state.records(t)]
    expected = sum(d["sum"] for d in returns if d["applicable"] and not d.get("_trashed"))
    assert sum(r["returnSum"] for r in rows) == pytest.approx(expected, rel=1e-6)


async def test_a_retailsalesreturn_lists_its_positions_as_salesreturnposition(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    doc = state.records("retailsalesreturn")[0]
    body = (await client.get(f"/entity/retailsalesreturn/{doc['id']}", params={"expand": "positions"})).json()
    assert body["demand"]["meta"]["type"] == "retaildemand"
    assert {p["meta"]["type"] for p in body["positions"]["rows"]} == {"salesreturnposition"}


async def _whole_report(client: httpx.AsyncClient, path: str, selection: dict[str, str] | None = None) -> list[dict]:
    rows: list[dict] = []
    while True:
        body = (await client.get(path, params={**(selection or {}), "limit": 7, "offset": len(rows)})).json()
        rows.extend(body["rows"])
        if len(rows) >= body["meta"]["size"]:
            return rows


@pytest.mark.parametrize("path", ["/report/stock/bystore", "/report/stock/all"])
async def test_a_cached_report_pages_as_the_uncached_one_and_follows_a_write(path: str) -> None:
    """With ``list_cache`` on (the served simulator) a report's selection is computed once while nothing changed:
    page by page it equals the report computed fresh, and a write that moves stock is in the next page read."""
    cached = make_settings(list_cache=True)
    state = generate(cached)
    async with asgi_client(cached, state) as client, asgi_client(make_settings(), state) as fresh:
        before = await _whole_report(client, path)
        assert before == await _whole_report(fresh, path)
        one_store = {"filter": "store=http://sim.test/api/remap/1.2/entity/store/" + state.records("store")[1]["id"]}
        assert await _whole_report(client, path, one_store) == await _whole_report(fresh, path, one_store) != before
        demand = next(d for d in _counted(state, "demand") if d["_positions"])
        assert (await client.post(f"/entity/demand/{demand['id']}/trash")).status_code == 200
        after = await _whole_report(client, path)
        assert after == await _whole_report(fresh, path)
    assert after != before

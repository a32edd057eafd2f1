"""Documents over HTTP: lists, positions, expand, fields=stock, and consistency with the ledger."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from moysklad_simulator import SimulatorState
from moysklad_simulator.documents.model import DOCUMENT_TYPES


@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
async def test_every_document_type_lists(client: httpx.AsyncClient, doc_type: str) -> None:
    body = (await client.get(f"/entity/{doc_type}", params={"limit": 2})).json()
    assert body["meta"]["size"] > 0
    row = body["rows"][0]
    assert row["meta"]["type"] == doc_type
    assert row["positions"]["meta"]["href"].endswith(f"/entity/{doc_type}/{row['id']}/positions")
    assert row["moment"].endswith(":00.000")
    assert isinstance(row["sum"], float)


async def test_retaildemand_positions_are_demandpositions(client: httpx.AsyncClient, state: SimulatorState) -> None:
    doc = state.records("retaildemand")[0]
    body = (await client.get(f"/entity/retaildemand/{doc['id']}/positions")).json()
    assert body["meta"]["type"] == "demandposition"
    assert {r["meta"]["type"] for r in body["rows"]} == {"demandposition"}


async def test_expand_positions_assortment(client: httpx.AsyncClient, state: SimulatorState) -> None:
    doc = state.records("demand")[0]
    body = (await client.get(f"/entity/demand/{doc['id']}", params={"expand": "positions.assortment"})).json()
    rows = body["positions"]["rows"]
    assert len(rows) == len(doc["_positions"])
    assert "name" in rows[0]["assortment"]


async def test_document_sum_is_sum_of_positions(client: httpx.AsyncClient) -> None:
    body = (await client.get("/entity/customerorder", params={"limit": 20, "expand": "positions"})).json()
    for doc in body["rows"]:
        lines = sum(p["price"] * p["quantity"] * (1 - p["discount"] / 100) for p in doc["positions"]["rows"])
        assert doc["sum"] == pytest.approx(lines, abs=0.05)


async def test_fields_stock_adds_stock_to_positions(client: httpx.AsyncClient, state: SimulatorState) -> None:
    doc = state.records("demand")[-1]
    body = (await client.get(f"/entity/demand/{doc['id']}/positions", params={"fields": "stock", "limit": 100})).json()
    stock = body["rows"][0]["stock"]
    assert set(stock) == {"cost", "quantity", "reserve", "intransit", "available"}
    assert stock["cost"] == doc["_positions"][0].cost > 0


async def test_positions_page(client: httpx.AsyncClient, state: SimulatorState) -> None:
    doc = max(state.records("supply"), key=lambda d: len(d["_positions"]))
    body = (await client.get(f"/entity/supply/{doc['id']}/positions", params={"limit": 2, "offset": 1})).json()
    assert body["meta"]["size"] == len(doc["_positions"])
    assert [r["id"] for r in body["rows"]] == [p.id for p in doc["_positions"][1:3]]


async def test_filter_by_state_name(client: httpx.AsyncClient, state: SimulatorState) -> None:
    rows = (
        await client.get(
            "/entity/customerorder", params={"filter": "state.name=Отгружен", "limit": 100, "expand": "state"}
        )
    ).json()["rows"]
    assert rows
    assert {r["state"]["name"] for r in rows} == {"Отгружен"}


async def test_filter_by_moment_range(client: httpx.AsyncClient, state: SimulatorState) -> None:
    bounds = "moment>=2025-12-01 00:00:00;moment<2026-01-01 00:00:00"
    body = (await client.get("/entity/retaildemand", params={"filter": bounds})).json()
    # Plain lists leave out documents in the recycle bin (docs/moysklad.md, "Collections").
    expected = [
        d for d in state.records("retaildemand") if "2025-12-01" <= d["moment"] < "2026-01-01" and not d.get("_trashed")
    ]
    assert body["meta"]["size"] == len(expected) > 0


def test_history_has_seasonality(state: SimulatorState) -> None:
    by_month = Counter(d["moment"][:7] for d in state.records("retaildemand"))
    assert by_month["2025-12"] > by_month["2025-02"]


def test_shipped_orders_link_their_demand(state: SimulatorState) -> None:
    shipped = [o for o in state.records("customerorder") if "demands" in o]
    assert shipped
    demand = state.find(shipped[0]["demands"][0])
    assert demand is not None
    assert demand["customerOrder"] == shipped[0]["_ref"]

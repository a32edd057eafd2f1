"""The fidelity cases: each one is generated, the same way for one seed, and the reports treat it as MoySklad does."""

from __future__ import annotations

import httpx
import pytest

from moysklad_simulator import SimulatorState, generate
from moysklad_simulator.data.cases import OLD_MOMENTS

from ..conftest import make_settings

SALES = ("demand", "retaildemand")
WIDE = {"momentFrom": "2000-01-01 00:00:00", "momentTo": "2030-01-01 00:00:00", "limit": 1000}


def _sales(state: SimulatorState) -> list[dict]:
    return [d for t in SALES for d in state.records(t)]


def _case_summary(state: SimulatorState) -> dict[str, list[str]]:
    sales = _sales(state)
    sold_types = {p.assortment.type for d in sales for p in d["_positions"]}
    return {
        "drafts": [d["id"] for d in sales if not d["applicable"]],
        "in the bin": [d["id"] for d in sales if d.get("_trashed")],
        "restored": [c.events[0].entity.id for c in state.audit if c.events[0].event_type == "restorefromrecyclebin"],
        "without VAT": [d["id"] for d in sales if not d["vatIncluded"]],
        "old": [d["id"] for d in sales if d["moment"] < "2015"],
        "negative": [f"{k}" for k, v in state.ledger.stock.items() if v < 0],
        "kinds": sorted(sold_types),
    }


def test_each_case_is_generated_and_the_same_for_one_seed() -> None:
    first = _case_summary(generate(make_settings(seed=5)))
    assert first == _case_summary(generate(make_settings(seed=5)))
    assert {k: len(v) for k, v in first.items()} == {
        "drafts": 2,
        "in the bin": 2,
        "restored": 2,
        "without VAT": 2,
        "old": len(OLD_MOMENTS),
        "negative": 1,
        "kinds": 4,
    }, first


def test_a_document_in_the_bin_is_listed_only_with_is_deleted_and_carries_deleted(state: SimulatorState) -> None:
    binned = [d for d in _sales(state) if d.get("_trashed")]
    assert binned
    assert all(d["deleted"] > d["moment"] for d in binned)
    puts = {c.events[0].entity.id for c in state.audit if c.events[0].event_type == "puttorecyclebin"}
    assert {d["id"] for d in binned} < puts


async def test_profit_report_leaves_out_drafts_and_binned_documents(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    rows = (await client.get("/report/profit/byproduct", params=WIDE)).json()["rows"]
    counted = [d for d in _sales(state) if d["applicable"] and not d.get("_trashed")]
    assert len(counted) < len(_sales(state))
    assert sum(r["sellSum"] for r in rows) == pytest.approx(sum(d["sum"] for d in counted), rel=1e-9)


async def test_services_and_bundles_have_profit_rows_with_their_cost(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    rows = (await client.get("/report/profit/byproduct", params=WIDE)).json()["rows"]
    by_type = {r["assortment"]["meta"]["type"]: r for r in rows}
    assert {"service", "bundle"} <= set(by_type)
    assert all(by_type[t]["sellCostSum"] > 0 for t in ("service", "bundle"))


async def test_a_service_position_carries_its_cost_and_no_stock(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    doc = next(d for d in state.records("retaildemand") if any(p.assortment.type == "service" for p in d["_positions"]))
    params = {"expand": "positions", "fields": "stock"}
    body = (await client.get(f"/entity/retaildemand/{doc['id']}", params=params)).json()
    service = next(p for p in body["positions"]["rows"] if p["assortment"]["meta"]["type"] == "service")
    assert service["cost"] > 0
    assert "stock" not in service


async def test_negative_stock_is_reported(client: httpx.AsyncClient, state: SimulatorState) -> None:
    rows = (await client.get("/report/stock/bystore/current")).json()
    assert [r for r in rows if r["stock"] < 0]


def test_vat_on_top_is_added_to_the_document_sum(state: SimulatorState) -> None:
    doc = next(d for d in _sales(state) if not d["vatIncluded"])
    lines = sum(p.total for p in doc["_positions"])
    assert doc["sum"] == pytest.approx(lines + doc["vatSum"], abs=0.01)
    assert doc["vatSum"] == pytest.approx(sum(p.total * p.vat / 100 for p in doc["_positions"]), abs=0.01)
    assert any(p.discount for p in doc["_positions"])

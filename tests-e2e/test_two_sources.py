"""Two sources, one system: the MoySklad shop and a Bitrix24 portal synced side by side, as separate processes.

Checked through the gateway against each simulator's own data (an oracle computed here, not by the services):
- every customer the two simulators share (their ground truth, `GET /__sim/overlap`) is one customer: the MoySklad
  counterparty's records include the Bitrix24 contact or company;
- the funnel per pipeline (deals, won, lost, open, open value in roubles) equals the portal's deals;
- how many deals reached each stage follows the portal's stage history (`crm.stagehistory.list`: a lost deal counts
  for the open stages it went through), and the open deals per responsible person carry the names `user.get` gives;
- the catalog lists the portal's products at the portal's prices (`source=bitrix24`) beside the shop's.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from e2e_harness import (
    BITRIX24_WEBHOOK_CODE,
    SimulatorSpec,
    System,
    bitrix24_gateway_env,
    bitrix24_ports,
    full_system,
    login,
    start_bitrix24,
)

PERIOD = {"period": "custom", "date_from": "2025-01-01", "date_to": "2026-01-31"}  # the portal's history, whole


@pytest.fixture(scope="module")
def sut() -> Iterator[System]:
    sim, ports = SimulatorSpec(), bitrix24_ports()
    with full_system(sim=sim, extra_env=bitrix24_gateway_env(ports)) as sut:
        start_bitrix24(sut, sim, ports, overlap_share="1.0")
        yield sut


def portal_call(sut: System, method: str, params: dict[str, Any]) -> Any:
    url = f"http://127.0.0.1:{sut.ports['bitrix24-simulator']}/rest/1/{BITRIX24_WEBHOOK_CODE}/{method}.json"
    response = httpx.post(url, json=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def portal_list(sut: System, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a list method (``crm.stagehistory.list`` wraps its page as ``{items}``)."""
    records: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        page = portal_call(sut, method, {**params, "start": start})
        result = page["result"]
        records += result["items"] if isinstance(result, dict) else result
        start = page.get("next")
    return records


def portal_deals(sut: System) -> list[dict[str, Any]]:
    return portal_list(sut, "crm.deal.list", {"order": {"ID": "ASC"}, "select": ["*"]})


def funnel_oracle(deals: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int, Decimal]]:
    """Per pipeline: (deals, won, lost, open, open value in RUB), from the portal's own records."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    open_value: dict[str, Decimal] = defaultdict(Decimal)
    for d in deals:
        pipeline = str(d["CATEGORY_ID"])
        counts[pipeline][d["STAGE_SEMANTIC_ID"]] += 1
        if d["STAGE_SEMANTIC_ID"] == "P" and d["CURRENCY_ID"] == "RUB":
            open_value[pipeline] += Decimal(d["OPPORTUNITY"])
    return {
        p: (sum(c.values()), c["S"], c["F"], c["P"], open_value[p].quantize(Decimal("0.01"))) for p, c in counts.items()
    }


def eventually(check: Any, what: str, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1.0)
    raise AssertionError(f"{what} not within {timeout:.0f}s (last: {last!r})")


def test_shared_customers_are_one_customer_and_the_funnel_equals_the_portal(sut: System) -> None:
    headers = {"authorization": f"Bearer {login(sut)}"}
    gateway = sut.url("gateway")
    overlap = httpx.get(f"http://127.0.0.1:{sut.ports['bitrix24-simulator']}/__sim/overlap", timeout=30).json()
    matches = overlap["matches"]
    assert len(matches) >= 3, "the simulators share customers"
    expected_funnel = funnel_oracle(portal_deals(sut))

    def served_funnel() -> dict[str, tuple[int, int, int, int, Decimal]]:
        r = httpx.get(f"{gateway}/api/v1/analytics/funnel/pipelines", params=PERIOD, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return {
            p["pipeline_id"]: (p["deals"], p["won"], p["lost"], p["open"], Decimal(p["open_value"]))
            for p in r.json()["items"]
            if p["deals"]
        }

    eventually(lambda: served_funnel() == expected_funnel, "the funnel equal to the portal's deals")

    def unmerged() -> list[str]:
        missing = []
        for m in matches:
            moysklad_id = m["moysklad"]["counterpartyId"]
            bitrix24_id = f"{m['bitrix24']['entityType']}-{m['bitrix24']['id']}"
            r = httpx.get(f"{gateway}/api/v1/analytics/customers/{moysklad_id}/records", headers=headers, timeout=30)
            records = (
                {rec["counterparty_id"]: rec for rec in r.json().get("records", [])} if r.status_code == 200 else {}
            )
            if bitrix24_id not in records or records[bitrix24_id]["matched_by"] not in m["keys"]:
                missing.append(f"{moysklad_id} ~ {bitrix24_id} by {m['keys']}")
        return missing

    eventually(lambda: not unmerged(), "every shared customer merged by one of its shared keys")
    assert not unmerged()


def history_oracle(
    sut: System, deals: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[tuple[str, str], int]]]:
    """Per pipeline: deals that reached each stage (the furthest open or won stage a deal's history or current
    stage shows; a lost stage counts the deals in it), and open deals per (responsible id, name), from the portal."""
    history = portal_list(sut, "crm.stagehistory.list", {"entityTypeId": 2, "order": {"ID": "ASC"}})
    users = {u["ID"]: f"{u['NAME']} {u['LAST_NAME']}" for u in portal_list(sut, "user.get", {})}
    entered: dict[str, set[str]] = defaultdict(set)
    for item in history:
        entered[str(item["OWNER_ID"])].add(item["STAGE_ID"])
    reached: dict[str, dict[str, int]] = {}
    people: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for pipeline in {str(d["CATEGORY_ID"]) for d in deals}:
        entity = "DEAL_STAGE" if pipeline == "0" else f"DEAL_STAGE_{pipeline}"
        statuses = portal_call(sut, "crm.status.list", {"filter": {"ENTITY_ID": entity}})["result"]
        sort = {s["STATUS_ID"]: int(s["SORT"]) for s in statuses}
        lost = {s["STATUS_ID"] for s in statuses if s.get("SEMANTICS") == "F"}
        mine = [d for d in deals if str(d["CATEGORY_ID"]) == pipeline]
        furthest = {
            d["ID"]: max(
                (sort[s] for s in entered[d["ID"]] | {d["STAGE_ID"]} if s in sort and s not in lost), default=-1
            )
            for d in mine
        }
        reached[pipeline] = {
            stage: sum(1 for d in mine if d["STAGE_ID"] == stage)
            if stage in lost
            else sum(1 for f in furthest.values() if f >= sort[stage])
            for stage in sort
        }
        for d in mine:
            if d["STAGE_SEMANTIC_ID"] == "P":
                people[pipeline][(d["ASSIGNED_BY_ID"], users[d["ASSIGNED_BY_ID"]])] += 1
    lost_somewhere = [d for d in deals if d["STAGE_SEMANTIC_ID"] == "F" and len(entered[d["ID"]]) > 1]
    assert lost_somewhere, "the portal has lost deals that went through open stages first"
    return reached, {p: dict(c) for p, c in people.items()}


def test_stages_reached_follow_the_portals_history_and_people_have_names(sut: System) -> None:
    headers = {"authorization": f"Bearer {login(sut)}"}
    gateway = sut.url("gateway")
    expected_reached, expected_people = history_oracle(sut, portal_deals(sut))

    def served() -> tuple[dict[str, dict[str, int]], dict[str, dict[tuple[str, str], int]]]:
        reached, people = {}, {}
        for pipeline in expected_reached:
            params = {**PERIOD, "pipeline_id": pipeline}
            r = httpx.get(f"{gateway}/api/v1/analytics/funnel", params=params, headers=headers, timeout=30)
            if r.status_code != 200:
                return {}, {}
            body = r.json()
            reached[pipeline] = {s["stage_id"]: s["reached"] for s in body["stages"]}
            people[pipeline] = {
                (p["responsible_id"], p["responsible_name"]): p["open_deals"] for p in body["by_responsible"]
            }
        return reached, people

    eventually(lambda: served() == (expected_reached, expected_people), "stages reached and names as the portal's")


def portal_products(sut: System) -> dict[str, str]:
    """The portal's catalog as the connector should publish it: ``product-<ID>`` → ``PRICE``."""
    return {f"product-{p['ID']}": p["PRICE"] for p in portal_list(sut, "crm.product.list", {"select": ["ID", "PRICE"]})}


def test_the_portals_catalog_sits_beside_the_shops_told_apart_by_source(sut: System) -> None:
    headers = {"authorization": f"Bearer {login(sut)}"}
    products = f"{sut.url('gateway')}/api/v1/products/"
    expected = portal_products(sut)

    def listed(**params: Any) -> tuple[int, dict[str, dict[str, Any]]]:
        items: dict[str, dict[str, Any]] = {}
        offset, total = 0, 1
        while offset < total:
            r = httpx.get(products, params={**params, "limit": 200, "offset": offset}, headers=headers, timeout=30)
            assert r.status_code == 200, r.text
            body = r.json()
            items |= {i["id"]: i for i in body["items"]}
            total, offset = body["total"], offset + 200
        return total, items

    def crm_prices() -> dict[str, str]:
        return {k: i["sale_prices"][0]["amount"] for k, i in listed(source="bitrix24")[1].items()}

    eventually(lambda: crm_prices() == expected, "the portal's products, at the portal's prices")
    everything, _ = listed()
    shop_total, shop = listed(source="moysklad")
    assert shop_total > 0
    assert {i["source"] for i in shop.values()} == {"moysklad"}
    assert everything == shop_total + len(expected)

"""Changes in a working shop reach the gateway's answers: created products appear, changed prices change, and hard
deletes (visible only in MoySklad's audit log) disappear, and a delete the audit log never showed disappears after a
reconciliation. The time each round takes is measured and printed, never asserted.

The simulator runs in this process so the test can step its live mode (`LiveShop`, the same code `--live` runs)
between syncs; the connector, catalog, auth and gateway are separate processes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from e2e_harness import System, system

from moysklad_simulator import Settings
from moysklad_simulator.live import LiveShop
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

KINDS = ("product", "service", "bundle")


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with serve_in_thread(Settings(scale="tiny", seed=5, anchor="2026-01-15 00:00:00")) as sim:
        yield sim


@pytest.fixture(scope="module")
def sut(simulator: RunningSimulator) -> Iterator[System]:
    login, password = simulator.basic_auth
    with system(simulator.api_url, login, password) as running:
        yield running


def expected(sim: RunningSimulator) -> dict[str, Decimal | None]:
    """id → first sale price in roubles, for everything the catalog should list."""
    rows = {}
    for kind in KINDS:
        for record in sim.state.records(kind):
            prices = record.get("salePrices") or []
            rows[record["id"]] = (Decimal(str(prices[0]["value"])) / 100).quantize(Decimal("0.01")) if prices else None
    return rows


def served(gateway: str, headers: dict[str, str]) -> dict[str, Decimal | None]:
    rows: dict[str, Decimal | None] = {}
    offset = 0
    while True:
        page = httpx.get(f"{gateway}/api/v1/products/", params={"limit": 200, "offset": offset}, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        for item in body["items"]:
            prices = item["sale_prices"]
            rows[item["id"]] = Decimal(prices[0]["amount"]).quantize(Decimal("0.01")) if prices else None
        offset += len(body["items"])
        if offset >= body["total"] or not body["items"]:
            return rows


def converge(gateway: str, headers: dict[str, str], want: dict[str, Any], timeout: float = 180) -> float:
    started = time.monotonic()
    got: dict[str, Any] = {}
    while time.monotonic() - started < timeout:
        got = served(gateway, headers)
        if got == want:
            return time.monotonic() - started
        time.sleep(0.5)
    missing, extra = sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]
    wrong = [(k, got[k], want[k]) for k in want if k in got and got[k] != want[k]][:5]
    raise AssertionError(f"not converged: missing {missing}, extra {extra}, different {wrong}")


def admin_call(method: str, url: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
    """Call an admin sync resource as a polite client does: a 429 (the gateway allows 30 admin-sync requests a minute
    per user) is waited out for its Retry-After, then asked again."""
    for _ in range(30):
        response = httpx.request(method, url, headers=headers, json=body)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers.get("retry-after", "1")))
    raise AssertionError(f"{method} {url} kept answering 429")


def admin_get(url: str, headers: dict[str, str]) -> Any:
    response = admin_call("GET", url, headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_idle(gateway: str, headers: dict[str, str], timeout: float = 180) -> None:
    """Wait until no sync job of the connector is running (the first full sync keeps going after the catalog part)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = admin_get(f"{gateway}/api/v1/admin/sync/jobs", headers)["items"]
        if jobs and all(job["status"] != "running" for job in jobs):
            return
        time.sleep(1)
    raise AssertionError("the connector kept a sync running")


def admin_headers(gateway: str) -> dict[str, str]:
    response = httpx.post(f"{gateway}/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin123"})
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


def test_creates_price_changes_and_hard_deletes_reach_the_gateway(sut: System, simulator: RunningSimulator) -> None:
    gateway = sut.url("gateway")
    headers = admin_headers(gateway)
    converge(gateway, headers, expected(simulator))  # the first full sync

    shop = LiveShop(simulator.state)
    timings = []
    for _round in range(2):
        actions: list[str] = []
        while not {"create", "price", "delete"} <= set(actions) and len(actions) < 400:
            actions.append(shop.step())
        assert {"create", "price", "delete"} <= set(actions), actions
        wait_idle(gateway, headers)
        started = time.monotonic()
        job = admin_call("POST", f"{gateway}/api/v1/admin/sync/start", headers, {"mode": "incremental"})
        assert job.status_code == 202, job.text
        converge(gateway, headers, expected(simulator))
        timings.append(time.monotonic() - started)
        print(
            f"round {_round + 1}: {len(actions)} live changes ({sorted(set(actions))}) reached the gateway in "
            f"{timings[-1]:.1f}s"
        )
    assert len(timings) == 2


def finished_job(gateway: str, headers: dict[str, str], body: dict[str, str]) -> dict[str, Any]:
    """Start a sync through the gateway and wait until its job is no longer running."""
    wait_idle(gateway, headers)
    started = admin_call("POST", f"{gateway}/api/v1/admin/sync/start", headers, body)
    assert started.status_code == 202, started.text
    for _ in range(200):
        time.sleep(1)
        job: dict[str, Any] = admin_get(f"{gateway}/api/v1/admin/sync/jobs/{started.json()['id']}", headers)
        if job["status"] != "running":
            return job
    raise AssertionError(f"sync job {started.json()['id']} kept running")


def test_a_delete_the_audit_log_missed_is_reconciled_away_once(sut: System, simulator: RunningSimulator) -> None:
    gateway = sut.url("gateway")
    headers = admin_headers(gateway)
    converge(gateway, headers, expected(simulator))
    gone = simulator.state.records("product")[0]["id"]
    removed = httpx.delete(f"{simulator.base_url}/__sim/entity/product/{gone}")  # no audit record, no webhook
    assert removed.status_code == 204, removed.text

    incremental = finished_job(gateway, headers, {"mode": "incremental"})
    still_served = gone in served(gateway, headers)
    httpx.delete(f"{simulator.base_url}/__sim/stats")
    first = finished_job(gateway, headers, {"mode": "reconcile"})
    cost = httpx.get(f"{simulator.base_url}/__sim/stats").json()
    converge(gateway, headers, expected(simulator))
    second = finished_job(gateway, headers, {"mode": "reconcile"})

    assert incremental["status"] == "succeeded"
    assert still_served  # the audit feed did not show the delete, so paging alone kept the product
    assert first["status"] == "succeeded", first
    assert (first["mode"], first["counts"]["deleted"], first["counts"]["deleted.product"]) == ("reconcile", 1, 1)
    assert second["counts"]["deleted"] == 0
    assert second["counts"]["listed"] == second["counts"]["known"]
    print(f"reconciliation: {first['counts']}; simulator: {cost['requests']} requests, {cost['units']} units")

"""The foundation's one real flow, nothing mocked:

MoySklad-shaped products (the simulator over HTTP: JSON API 1.2 envelope, gzip, auth) → the connector polls and
publishes product events to Kafka → catalog consumes them into its schema → auth issues a JWT for the seeded admin →
the gateway verifies it and routes `GET /api/v1/products/` to catalog.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_harness import System, system

from moysklad_simulator import Settings
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

CATALOG_KINDS = ("product", "service", "bundle")


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with serve_in_thread(Settings(scale="tiny", seed=7, rate_limits_enabled=True)) as sim:
        yield sim


@pytest.fixture(scope="module")
def sut(simulator: RunningSimulator) -> Iterator[System]:
    login, password = simulator.basic_auth
    with system(simulator.api_url, login, password) as running:
        yield running


@pytest.fixture(scope="module")
def token(sut: System) -> str:
    response = httpx.post(
        f"{sut.url('gateway')}/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin123"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def all_products(gateway: str, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = httpx.get(
            f"{gateway}/api/v1/products/",
            params={"limit": 200, "offset": offset},
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        offset += len(body["items"])
        if offset >= body["total"] or not body["items"]:
            return items


def test_products_reach_the_gateway_from_the_simulator(sut: System, simulator: RunningSimulator, token: str) -> None:
    expected = {r["id"]: r["name"] for kind in CATALOG_KINDS for r in simulator.state.records(kind)}
    assert len(expected) > 10
    served: dict[str, str] = {}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        served = {p["id"]: p["name"] for p in all_products(sut.url("gateway"), token)}
        if served == expected:
            break
        time.sleep(1)
    assert served == expected


def test_prices_arrive_in_roubles_not_kopecks(sut: System, simulator: RunningSimulator, token: str) -> None:
    record = next(r for r in simulator.state.records("product") if r.get("salePrices"))
    response = httpx.get(
        f"{sut.url('gateway')}/api/v1/products/{record['id']}", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    kopecks = record["salePrices"][0]["value"]
    served = response.json()["sale_prices"][0]["amount"]
    assert float(served) == pytest.approx(kopecks / 100)


def test_gateway_refuses_requests_without_a_valid_token(sut: System) -> None:
    missing = httpx.get(f"{sut.url('gateway')}/api/v1/products/")
    forged = httpx.get(f"{sut.url('gateway')}/api/v1/products/", headers={"authorization": "Bearer not.a.jwt"})
    assert missing.status_code == 401
    assert forged.status_code == 401
    assert set(missing.json()) == {"error", "detail"}

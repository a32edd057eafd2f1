"""Redis down (services/gateway/README.md, "When Redis is down"): revocation fails closed (503 on authenticated
routes, at the gateway and at each service called directly), public routes keep working, consumers go on, nothing
crashes, and everything works again when Redis is back, serving the undisturbed run's amounts (revenue per day and
per product, stock per store). One run observes; the tests below each judge one promise."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from amounts import differences, from_api, from_snapshot
from delivery import Baseline, assert_same_as_baseline
from e2e_harness import ADMIN, full_system, login, start_services
from private_infra import PrivateInfra
from scenario import wait_until

REPORT = "/api/v1/analytics/dashboard?as_of=2026-01-14"


@dataclass
class Observed:
    while_down: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    amount_problems: list[str] = field(default_factory=list)
    alive: dict[str, bool] = field(default_factory=dict)
    final_error: str | None = None


def status(response: httpx.Response) -> tuple[int, list[str]]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, sorted(body) if isinstance(body, dict) else []


@pytest.fixture(scope="module")
def observed(infra: PrivateInfra, baseline: Baseline) -> Iterator[Observed]:
    seen = Observed()
    with full_system(infra=infra.infra, defer=("moysklad-connector",)) as sut:
        gateway, analytics = sut.url("gateway"), sut.url("analytics")
        token = login(sut)
        bearer = {"authorization": f"Bearer {token}"}
        seen.while_down["products before"] = status(httpx.get(f"{gateway}/api/v1/products/", headers=bearer))
        infra.down("redis")
        try:
            products = httpx.get(f"{gateway}/api/v1/products/", headers=bearer, timeout=30)
            seen.while_down["gateway authenticated"] = status(products)
            seen.while_down["gateway jwks"] = status(
                httpx.get(f"{gateway}/api/v1/auth/.well-known/jwks.json", timeout=30)
            )
            seen.while_down["gateway login"] = status(
                httpx.post(f"{gateway}/api/v1/auth/login", json=ADMIN, timeout=30)
            )
            # straight to the services, past the gateway: each checks revocation itself and fails closed too
            seen.while_down["analytics report"] = status(httpx.get(f"{analytics}{REPORT}", headers=bearer, timeout=30))
            seen.while_down["catalog direct"] = status(
                httpx.get(f"{sut.url('catalog')}/api/v1/products/", headers=bearer, timeout=30)
            )
            seen.while_down["live"] = {
                n: status(httpx.get(f"{p.url}/health/live", timeout=10))[0]
                for n, p in sut.processes.items()
                if n != "simulator"
            }
            seen.while_down["ready"] = {
                n: status(httpx.get(f"{p.url}/health/ready", timeout=10))[0]
                for n, p in sut.processes.items()
                if n != "simulator"
            }
            # the whole sync flows through the consumers while Redis is away
            start_services(sut, ["moysklad-connector"])
            try:
                assert_same_as_baseline(
                    sut,
                    baseline,
                    "Redis down during the whole sync",
                    [
                        f"private Redis stopped before the sync; while down: {seen.while_down}",
                    ],
                )
            except AssertionError as exc:
                seen.final_error = str(exc)[:3000]
            seen.alive = {n: p.alive for n, p in sut.processes.items()}
        finally:
            infra.up("redis")
        started = time.monotonic()
        seen.after["gateway authenticated"] = wait_until(
            "the gateway to answer 200 again",
            lambda: (
                (r := httpx.get(f"{gateway}/api/v1/products/", headers=bearer, timeout=30)).status_code == 200
                and status(r)
            ),
            timeout=60,
            every=0.5,
        )
        seen.after["seconds to recover"] = round(time.monotonic() - started, 1)
        seen.after["gateway login"] = status(httpx.post(f"{gateway}/api/v1/auth/login", json=ADMIN, timeout=30))
        seen.amount_problems = differences(from_api(reader(gateway, bearer)), from_snapshot(baseline.snapshot))
        yield seen


def reader(gateway: str, bearer: dict[str, str]) -> Any:
    """``get(path, **params)`` through the gateway; waits out the services' own short Redis cool-down after an
    outage (REVOCATION_RETRY_SECONDS) instead of failing on its 503."""

    def get(path: str, **params: Any) -> Any:
        def ok() -> Any:
            response = httpx.get(f"{gateway}{path}", params=params, headers=bearer, timeout=30)
            return response.json() if response.status_code == 200 else None

        return wait_until(f"200 from {path}", ok, timeout=30, every=0.5)

    return get


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_nothing_crashes_and_the_sync_flows_while_redis_is_down(observed: Observed) -> None:
    assert observed.final_error is None, observed.final_error
    assert all(observed.alive.values()), observed.alive
    assert set(observed.while_down["live"].values()) == {200}


@pytest.mark.slow
def test_gateway_fails_closed_on_authenticated_routes(observed: Observed) -> None:
    assert observed.while_down["products before"][0] == 200
    assert observed.while_down["gateway authenticated"] == (503, ["detail", "error"])
    assert observed.while_down["ready"]["gateway"] == 503  # readiness names what is missing


@pytest.mark.slow
def test_public_jwks_keeps_working(observed: Observed) -> None:
    assert observed.while_down["gateway jwks"][0] == 200


@pytest.mark.slow
def test_services_called_directly_fail_closed_too(observed: Observed) -> None:
    assert observed.while_down["analytics report"] == (503, ["detail", "error"])
    assert observed.while_down["catalog direct"] == (503, ["detail", "error"])


@pytest.mark.slow
def test_after_redis_is_back_the_api_serves_the_undisturbed_runs_amounts(observed: Observed) -> None:
    assert not observed.amount_problems, observed.amount_problems


@pytest.mark.slow
def test_everything_works_again_when_redis_is_back(observed: Observed) -> None:
    assert observed.after["gateway authenticated"][0] == 200
    assert observed.after["gateway login"][0] == 200


@pytest.mark.slow
def test_public_login_keeps_working(observed: Observed) -> None:
    assert observed.while_down["gateway login"][0] == 200, observed.while_down["gateway login"]

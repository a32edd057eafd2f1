"""Rate limits (weights, window, parallel) and fault injection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from moysklad_simulator import generate
from moysklad_simulator.ratelimit import RateLimiter
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

from .conftest import asgi_client, make_settings

GZIP = {"Accept-Encoding": "gzip"}


def test_window_admits_45_units_then_refuses() -> None:
    limiter = RateLimiter(make_settings())
    verdicts = [limiter.admit("u", 2, now=100.0) for _ in range(23)]
    assert [v.allowed for v in verdicts] == [True] * 22 + [False]
    assert verdicts[0].headers["X-RateLimit-Remaining"] == "43"
    assert int(verdicts[-1].headers["X-Lognex-Retry-After"]) > 0


def test_window_slides() -> None:
    limiter = RateLimiter(make_settings())
    for _ in range(22):
        limiter.admit("u", 2, now=100.0)
    assert not limiter.admit("u", 2, now=102.9).allowed
    assert limiter.admit("u", 2, now=103.01).allowed


def test_stock_reports_weigh_five() -> None:
    limiter = RateLimiter(make_settings())
    assert limiter.weight("/api/remap/1.2/report/stock/all", "token") == 5
    assert limiter.weight("/api/remap/1.2/report/stock/all/current", "token") == limiter.settings.weight_user_token


async def test_every_response_carries_the_five_headers() -> None:
    settings = make_settings(scale="tiny", rate_limits_enabled=True)
    async with asgi_client(settings, generate(settings)) as client:
        response = await client.get("/entity/store")
    for name in (
        "X-RateLimit-Limit",
        "X-Lognex-Retry-TimeInterval",
        "X-RateLimit-Remaining",
        "X-Lognex-Reset",
        "X-Lognex-Retry-After",
    ):
        assert name in response.headers
    assert response.headers["X-RateLimit-Limit"] == "45"
    assert response.headers["X-Lognex-Retry-After"] == "0"


async def test_too_many_requests_get_429_1049() -> None:
    settings = make_settings(scale="tiny", rate_limits_enabled=True)
    async with asgi_client(settings, generate(settings)) as client:
        statuses = [(await client.get("/report/stock/all")).status_code for _ in range(10)]
        refused = await client.get("/report/stock/all")
    assert statuses[:9] == [200] * 9
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == 1049
    assert int(refused.headers["X-Lognex-Retry-After"]) > 0


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    settings = make_settings(scale="tiny", rate_limits_enabled=True, rate_limit_units=1000)
    with serve_in_thread(settings, generate(settings)) as running:
        yield running


def _set_faults(sim: RunningSimulator, **faults: object) -> None:
    httpx.put(f"{sim.base_url}/__sim/faults", json=faults).raise_for_status()


async def test_more_than_five_parallel_requests_get_429_1073(sim: RunningSimulator) -> None:
    _set_faults(sim, latency_ms=300)
    async with httpx.AsyncClient(base_url=sim.api_url, auth=sim.basic_auth, headers=GZIP) as client:
        responses = await asyncio.gather(*[client.get("/entity/store") for _ in range(12)])
    refused = [r for r in responses if r.status_code == 429]
    assert sum(r.status_code == 200 for r in responses) >= 5
    assert refused
    assert {r.json()["errors"][0]["code"] for r in refused} == {1073}
    assert all("X-Lognex-Retry-After" not in r.headers for r in refused)


def test_injected_500(sim: RunningSimulator) -> None:
    _set_faults(sim, error_500_probability=1.0)
    response = httpx.get(f"{sim.api_url}/entity/store", auth=sim.basic_auth, headers=GZIP)
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == 1083


def test_injected_429_storm(sim: RunningSimulator) -> None:
    _set_faults(sim, storm_429_probability=1.0)
    response = httpx.get(f"{sim.api_url}/entity/store", auth=sim.basic_auth, headers=GZIP)
    assert response.status_code == 429
    assert response.headers["X-Lognex-Retry-After"] == "3000"


def test_dropped_connection(sim: RunningSimulator) -> None:
    _set_faults(sim, drop_probability=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{sim.api_url}/entity/store", auth=sim.basic_auth, headers=GZIP)


def test_state_endpoint_reports_counts(sim: RunningSimulator) -> None:
    body = httpx.get(f"{sim.base_url}/__sim/state").json()
    assert body["counts"]["product"] == len(sim.state.records("product"))


async def test_stats_count_each_request_and_the_units_it_was_charged() -> None:
    settings = make_settings(scale="tiny", rate_limits_enabled=True)
    async with asgi_client(settings, generate(settings)) as client:
        await client.get("/entity/store")
        await client.get("/entity/store")
        await client.get("/report/stock/bystore")
        stats = (await client.get("http://sim.test/__sim/stats")).json()
        await client.delete("http://sim.test/__sim/stats")
        after = (await client.get("http://sim.test/__sim/stats")).json()
    assert stats["requests"] == 3
    assert stats["units"] == 2 * settings.weight_basic + settings.weight_stock_report
    assert stats["by_path"]["/api/remap/1.2/entity/store"] == {
        "requests": 2,
        "units": 2 * settings.weight_basic,
        "refused": 0,
    }
    assert (stats["rate_limit_units"], stats["rate_limit_window_ms"]) == (45, 3000)
    assert after["requests"] == 0


def test_silent_removal_leaves_no_audit_record_and_the_object_is_gone(sim: RunningSimulator) -> None:
    product = sim.state.records("product")[0]
    contexts_before = len(sim.state.audit)

    removed = httpx.delete(f"{sim.base_url}/__sim/entity/product/{product['id']}")
    again = httpx.delete(f"{sim.base_url}/__sim/entity/product/{product['id']}")
    unknown_type = httpx.delete(f"{sim.base_url}/__sim/entity/nosuchtype/{product['id']}")
    read = httpx.get(f"{sim.api_url}/entity/product/{product['id']}", auth=sim.basic_auth, headers=GZIP)

    assert removed.status_code == 204
    assert (again.status_code, again.json()["error"]) == (404, "NotFound")
    assert unknown_type.status_code == 404
    assert read.status_code == 404
    assert len(sim.state.audit) == contexts_before

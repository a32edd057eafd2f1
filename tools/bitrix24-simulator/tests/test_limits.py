"""The leaky bucket and the method-time limit, counted in requests against a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bitrix24_simulator import generate
from bitrix24_simulator.testing import RunningSimulator, serve_in_thread

from .conftest import FakeClock, call, make_settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _serve(clock: FakeClock, **overrides: object) -> Iterator[RunningSimulator]:
    settings = make_settings(scale="tiny", **overrides)
    portal = generate(settings)
    portal.clock = clock
    with serve_in_thread(settings, portal) as running:
        yield running


@pytest.fixture
def bucket_sim(clock: FakeClock) -> Iterator[RunningSimulator]:
    yield from _serve(clock, rate_limits_enabled=True)


def _statuses(sim: RunningSimulator, count: int) -> list[int]:
    return [httpx.get(f"{sim.webhook_url}crm.deal.get?id=1").status_code for _ in range(count)]


def test_burst_of_50_passes_and_the_51st_gets_503(bucket_sim: RunningSimulator) -> None:
    assert _statuses(bucket_sim, 50) == [200] * 50
    refused = httpx.get(f"{bucket_sim.webhook_url}crm.deal.get?id=1")
    assert refused.status_code == 503
    assert refused.json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}


def test_bucket_drains_two_requests_per_second(bucket_sim: RunningSimulator, clock: FakeClock) -> None:
    _statuses(bucket_sim, 51)
    clock.advance(1)
    assert _statuses(bucket_sim, 3) == [200, 200, 503]
    clock.advance(10)
    assert _statuses(bucket_sim, 21) == [200] * 20 + [503]


def test_a_batch_is_one_request_for_the_bucket(bucket_sim: RunningSimulator) -> None:
    commands = {f"c{i}": "crm.deal.get?id=1" for i in range(50)}
    for _ in range(50):
        assert call(bucket_sim, "batch", cmd=commands).status_code == 200
    assert call(bucket_sim, "batch", cmd=commands).status_code == 503


def test_enterprise_bucket_holds_250_and_drains_five_per_second(clock: FakeClock) -> None:
    for sim in _serve(clock, rate_limits_enabled=True, tariff="enterprise"):
        assert _statuses(sim, 251) == [200] * 250 + [503]
        clock.advance(1)
        assert _statuses(sim, 6) == [200] * 5 + [503]


def test_switched_off_limits_never_refuse(clock: FakeClock) -> None:
    for sim in _serve(clock, rate_limits_enabled=False):
        assert set(_statuses(sim, 60)) == {200}


def test_method_time_limit_blocks_the_method_until_its_basket_resets(clock: FakeClock) -> None:
    # 200 s charged per call against 480 s: the third call takes the sum past the limit, the fourth is refused.
    for sim in _serve(clock, operating_limit_enabled=True, operating_seconds_per_call=200):
        bodies = [call(sim, "crm.deal.list", select=["ID"]).json() for _ in range(3)]
        assert [b["time"]["operating"] >= 200 * (i + 1) for i, b in enumerate(bodies)] == [True] * 3
        assert bodies[0]["time"]["operating_reset_at"] == int(clock.now) + 600
        blocked = call(sim, "crm.deal.list")
        assert blocked.status_code == 429
        assert blocked.json()["error"] == "OPERATION_TIME_LIMIT"
        assert call(sim, "crm.deal.get", id=1).status_code == 200  # other methods keep working
        clock.advance(600)
        assert call(sim, "crm.deal.list").status_code == 200


def test_nested_batch_calls_are_charged_to_their_own_methods(clock: FakeClock) -> None:
    for sim in _serve(clock, operating_limit_enabled=True, operating_seconds_per_call=200):
        body = call(sim, "batch", cmd={f"c{i}": "crm.deal.list?select[]=ID" for i in range(4)}).json()["result"]
        assert set(body["result"]) == {"c0", "c1", "c2"}
        assert body["result_error"]["c3"]["error"] == "OPERATION_TIME_LIMIT"

"""Injected faults and the request counters."""

from __future__ import annotations

import httpx
import pytest

from bitrix24_simulator.testing import RunningSimulator

from .conftest import call


def _set_faults(sim: RunningSimulator, **faults: object) -> None:
    httpx.put(f"{sim.base_url}/__sim/faults", json=faults).raise_for_status()


def test_503_storm(fresh: RunningSimulator) -> None:
    _set_faults(fresh, storm_503_probability=1.0)
    response = call(fresh, "crm.deal.list")
    assert (response.status_code, response.json()["error"]) == (503, "QUERY_LIMIT_EXCEEDED")


def test_injected_500(fresh: RunningSimulator) -> None:
    _set_faults(fresh, error_500_probability=1.0)
    response = call(fresh, "crm.deal.list")
    assert (response.status_code, response.json()["error"]) == (500, "INTERNAL_SERVER_ERROR")


def test_dropped_connection(fresh: RunningSimulator) -> None:
    _set_faults(fresh, drop_probability=1.0)
    # A truncated body then an aborted socket: the client sees a protocol error or a reset, depending on timing.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        call(fresh, "crm.deal.list")


def test_faults_read_back_and_clear(fresh: RunningSimulator) -> None:
    _set_faults(fresh, error_500_probability=0.5, latency_ms=1)
    assert httpx.get(f"{fresh.base_url}/__sim/faults").json()["error_500_probability"] == 0.5
    _set_faults(fresh)
    assert call(fresh, "crm.deal.list").status_code == 200


def test_stats_count_requests_per_method_and_status(fresh: RunningSimulator) -> None:
    httpx.delete(f"{fresh.base_url}/__sim/stats").raise_for_status()
    call(fresh, "crm.deal.list")
    call(fresh, "crm.deal.get", id=999_999)
    stats = httpx.get(f"{fresh.base_url}/__sim/stats").json()
    assert stats["requests"] == 2
    assert stats["by_method"] == {"crm.deal.list": {"200": 1}, "crm.deal.get": {"400": 1}}

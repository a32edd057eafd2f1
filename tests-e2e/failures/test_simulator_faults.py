"""MoySklad misbehaving: 429 storms, 500s, slow answers and dropped connections all through the sync, changed at run
time through `PUT /__sim/faults`, and the simulator itself killed with SIGKILL and restarted (same seed, same shop)."""

from __future__ import annotations

import time

import httpx
import pytest
from delivery import Baseline, assert_same_as_baseline
from e2e_harness import SimulatorSpec, full_system
from private_infra import PrivateInfra
from scenario import connector_request_counts, latest_job, running_job_past, wait_until

BACKGROUND = {"storm_429_probability": 0.1, "error_500_probability": 0.08, "drop_probability": 0.04, "latency_ms": 150}
FAULTY_SIMULATOR = SimulatorSpec(
    env=(
        ("MOYSKLAD_SIM_FAULT_429_PROBABILITY", "0.1"),
        ("MOYSKLAD_SIM_FAULT_500_PROBABILITY", "0.08"),
        ("MOYSKLAD_SIM_FAULT_DROP_PROBABILITY", "0.04"),
        ("MOYSKLAD_SIM_FAULT_LATENCY_MS", "150"),
    )
)
RETRYING = {"MOYSKLAD_SYNC_INTERVAL_MINUTES": "0.5"}


def set_faults(url: str, **faults: object) -> None:
    response = httpx.put(f"{url}/__sim/faults", json={**BACKGROUND, **faults}, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_misbehaving_moysklad_delays_the_sync_but_changes_nothing(infra: PrivateInfra, baseline: Baseline) -> None:
    injected: list[str] = []
    with full_system(infra=infra.infra, sim=FAULTY_SIMULATOR, extra_env=RETRYING) as sut:
        sim = sut.url("simulator")
        injected.append(f"background faults from start-up: {BACKGROUND}")
        job = wait_until("the sync to be under way", lambda: running_job_past(sut, 20), timeout=180)
        set_faults(sim, storm_429_probability=1.0)
        time.sleep(3)
        injected.append(
            f"429 storm (every request) for 3s at {job['published']} events; {connector_request_counts(sut)}"
        )
        set_faults(sim, error_500_probability=1.0)
        time.sleep(2)
        injected.append(f"500 on every request for 2s; {connector_request_counts(sut)}")
        set_faults(sim, latency_ms=3000)
        time.sleep(4)
        injected.append(f"3s answers for 4s; {connector_request_counts(sut)}")
        set_faults(sim, drop_probability=1.0)
        time.sleep(2)
        injected.append(f"every connection dropped for 2s; {connector_request_counts(sut)}")
        set_faults(sim)
        job = latest_job(sut) or {}
        sut.kill("simulator")
        time.sleep(2)
        sut.restart("simulator")
        injected.append(
            f"SIGKILL simulator, restarted 2s later (job {job.get('mode')} {job.get('status')}, "
            f"{job.get('published')} events); {connector_request_counts(sut)}"
        )
        wait_until(
            "a sync to succeed", lambda: (latest_job(sut) or {}).get("status") == "succeeded", timeout=300, every=1
        )
        counts = connector_request_counts(sut)
        assert_same_as_baseline(
            sut, baseline, "MoySklad 429 storms, 500s, slow answers, drops, simulator SIGKILL", injected, extra=counts
        )
        # the faults really reached the connector
        assert counts.get("moysklad requests 429", 0) > 0, counts
        assert counts.get("moysklad requests 500", 0) > 0, counts
        assert counts.get("moysklad retries", 0) > 0, counts

"""The Kafka broker restarted mid-sync, then PostgreSQL restarted while the consumers write. Both are the private
servers of this tier (`private_infra`), never the shared ones other people's tests use."""

from __future__ import annotations

import time

import pytest
from delivery import Baseline, assert_same_as_baseline
from e2e_harness import SimulatorSpec, full_system, start_services
from private_infra import PrivateInfra
from scenario import inbox_counts, latest_job, normal_speed, running_job_past, slow_down_consumers, wait_until

CONSUMERS = ("catalog", "inventory", "analytics")
SLOW_SIMULATOR = SimulatorSpec(env=(("MOYSKLAD_SIM_FAULT_LATENCY_MS", "200"),))
# a sync that failed while a server was away is retried by the schedule, as in production (default 15 min)
RETRYING = {"MOYSKLAD_SYNC_INTERVAL_MINUTES": "0.5"}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kafka_restart_mid_sync_then_postgres_restart_while_consumers_write(
    infra: PrivateInfra, baseline: Baseline
) -> None:
    injected: list[str] = []
    with full_system(infra=infra.infra, sim=SLOW_SIMULATOR, defer=CONSUMERS, extra_env=RETRYING) as sut:
        job = wait_until("the sync to be under way", lambda: running_job_past(sut, 40), timeout=120)
        started = time.monotonic()
        infra.restart("kafka")
        injected.append(
            f"Kafka broker stopped (controlled shutdown) and started again mid-sync in "
            f"{time.monotonic() - started:.1f}s; "
            f"the {job['mode']} sync had published {job['published']} events"
        )
        succeeded = wait_until(
            "a sync to succeed after the broker came back",
            lambda: (j := latest_job(sut)) and j["status"] == "succeeded" and j,
            timeout=240,
            every=1,
        )
        injected.append(f"then: sync {succeeded['mode']} succeeded ({succeeded['published']} events by that job)")

        slow_down_consumers(sut, 0.02)
        start_services(sut, CONSUMERS)
        target = int(0.25 * baseline.snapshot.inbox["analytics"])
        counts = wait_until(
            "the consumers to be writing", lambda: (c := inbox_counts(sut))["analytics"] >= target and c
        )
        started = time.monotonic()
        infra.restart("postgres")
        injected.append(
            f"PostgreSQL stopped (fast shutdown) and started again in {time.monotonic() - started:.1f}s "
            "while the consumers wrote; "
            f"inbox then: {counts}"
        )
        normal_speed(sut)
        assert_same_as_baseline(
            sut,
            baseline,
            "Kafka restart mid-sync; PostgreSQL restart while consumers write",
            injected,
            before={f"inbox.{g}": n for g, n in counts.items()},
        )

"""SIGKILL mid-stream: the connector twice mid-sync, then each consuming service three times while it works through
its backlog. Every process is restarted with the same command; the final state equals the undisturbed run's."""

from __future__ import annotations

import time

import pytest
from delivery import Baseline, assert_same_as_baseline, group_topics
from e2e_harness import SimulatorSpec, full_system, wait_ready
from oracle import lag
from private_infra import PrivateInfra
from scenario import inbox_counts, latest_job, normal_speed, ready, running_job_past, slow_down_consumers, wait_until

CONSUMERS = ("catalog", "inventory", "analytics")
KILL_AFTER = (1.0, 2.5, 4.0)  # seconds after the consumer (re)started and became ready
SLOW_SIMULATOR = SimulatorSpec(env=(("MOYSKLAD_SIM_FAULT_LATENCY_MS", "200"),))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_of_each_process_mid_stream_loses_and_doubles_nothing(infra: PrivateInfra, baseline: Baseline) -> None:
    injected: list[str] = []
    with full_system(infra=infra.infra, sim=SLOW_SIMULATOR, defer=CONSUMERS) as sut:
        # --- the connector, twice, while it pages and publishes (it resumes from its saved cursors)
        killed_jobs: set[str] = set()
        for n in (1, 2):
            job = wait_until(f"connector kill #{n}", lambda: running_job_past(sut, 40, killed_jobs), timeout=120)
            sut.kill("moysklad-connector")
            killed_jobs.add(job["id"])
            injected.append(
                f"SIGKILL moysklad-connector #{n} during its {job['mode']} sync: {job['published']} events "
                "published by that job"
            )
            sut.restart("moysklad-connector")
        wait_until(
            "the resumed sync to succeed",
            lambda: (latest_job(sut) or {}).get("status") == "succeeded",
            timeout=180,
            every=0.5,
        )

        # --- each consumer, three times, while it works through its backlog. Consumers apply events in batches (one
        # transaction per batch), so "mid-stream" is judged by Kafka: the group still had uncommitted records when it
        # was killed. The inbox inserts are slowed down so that a batch's transaction is open for several seconds
        # (more than the last kill's 4 s): catalog and inventory apply a batch in two lanes side by side, each lane
        # inserting about half the backlog (catalog's 80 events at 0.1 s each had committed before its third kill).
        slow_down_consumers(sut, {"catalog": 0.25, "inventory": 0.1, "analytics": 0.02})
        for g in CONSUMERS:
            sut.spawn(g, sut.ports[g], f"crm-{g}", "serve")
        topics = group_topics(sut)
        done = dict.fromkeys(CONSUMERS, 0)
        restarting, since = set(CONSUMERS), dict.fromkeys(CONSUMERS, 0.0)
        kills: list[tuple[str, int]] = []
        deadline = time.monotonic() + 240
        while any(n < len(KILL_AFTER) for n in done.values()) and time.monotonic() < deadline:
            for g in CONSUMERS:
                if g in restarting:
                    if ready(sut.url(g)):
                        restarting.discard(g)
                        since[g] = time.monotonic()
                    continue
                if done[g] >= len(KILL_AFTER) or time.monotonic() - since[g] < KILL_AFTER[done[g]]:
                    continue
                group = sut.topic_prefix + g
                left = lag(sut.env["KAFKA_BOOTSTRAP_SERVERS"], {group: topics[group]})[group]
                counts = inbox_counts(sut)
                sut.kill(g)
                kills.append((g, left))
                done[g] += 1
                injected.append(
                    f"SIGKILL {g} #{done[g]} {KILL_AFTER[done[g] - 1]}s after it was ready: {left} records not yet "
                    f"committed, inbox {counts[g]} of {baseline.snapshot.inbox[g]}"
                )
                sut.restart(g, wait=False)
                restarting.add(g)
            time.sleep(0.1)
        normal_speed(sut)
        for g in CONSUMERS:
            wait_ready(sut.processes[g], timeout=120)
        assert all(n == len(KILL_AFTER) for n in done.values()), f"not every kill happened: {done}"

        assert_same_as_baseline(sut, baseline, "SIGKILL: connector x2 mid-sync, each consumer x3", injected)
        # the kills were mid-stream: each consumer had work left every time it was killed
        assert all(left > 0 for _, left in kills), kills
        restarts = {p.name: p.starts for p in sut.processes.values() if p.starts > 1}
        assert restarts == {"moysklad-connector": 3, "catalog": 4, "inventory": 4, "analytics": 4}

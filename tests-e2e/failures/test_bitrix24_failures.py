"""The Bitrix24 connector under failure: SIGKILL mid-sync (twice) and a 503 QUERY_LIMIT_EXCEEDED storm with the
portal's method-time limit (429 OPERATION_TIME_LIMIT) on top. Each ends with the same funnels, deals and customers as
an undisturbed run of the same portal, which itself equals what the portal serves (docs/bitrix24.md)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest
from bitrix24_portal import (
    CONNECTORS,
    PROCESS,
    SCHEMA,
    TABLES_WITH_CRM,
    PortalBaseline,
    connector_counters,
    figures_of,
    portal_answers,
    portal_figures,
    published,
    system_with_portal,
)
from delivery import assert_same_as_baseline, delivery, record, sync_jobs, wait_settled
from e2e_harness import System
from private_infra import PrivateInfra
from scenario import running_job_past, wait_until

# Each request answered 250 ms late: the full sync of the demo portal takes ~10 s, long enough to be killed mid-way.
SLOW_PORTAL = {"BITRIX24_SIM_FAULT_LATENCY_MS": "250"}
# (events the job has published when it is killed): the first kill lands in the contacts, the second in the deals
KILL_AT = (50, 150)
# A 10 s window of method time with every call charged 1 s against 250 s: crm.deal.productrows.get (600 calls, 50 per
# batch) is refused with 429 OPERATION_TIME_LIMIT several times during the deals (docs/bitrix24.md, "Limits").
STORMY_PORTAL = {
    "BITRIX24_SIM_FAULT_LATENCY_MS": "200",
    "BITRIX24_SIM_OPERATING_WINDOW_SECONDS": "10",
    "BITRIX24_SIM_OPERATING_LIMIT_SECONDS": "250",
    "BITRIX24_SIM_OPERATING_SECONDS_PER_CALL": "1",
}
STORM_SECONDS = 3


@pytest.fixture(scope="module")
def portal_baseline(infra: PrivateInfra) -> PortalBaseline:
    """The undisturbed run with the demo portal: what every Bitrix24 failure run must end up equal to."""
    with system_with_portal(infra.infra) as sut:
        settled = wait_settled(sut, connectors=CONNECTORS, tables=TABLES_WITH_CRM)
        accounted = delivery(sut)
        figures = portal_figures(sut)
        jobs = sync_jobs(sut, SCHEMA)
    record(
        "baseline with a Bitrix24 portal (undisturbed run)",
        {"final": {**settled.metrics(), **accounted.summary(), "b24 events of a full sync": figures.events}},
    )
    return PortalBaseline(settled, accounted, figures, jobs)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_undisturbed_run_holds_what_the_portal_serves(portal_baseline: PortalBaseline) -> None:
    portal, served = portal_baseline.portal, figures_of(portal_baseline.snapshot)
    assert sum(n for n, _ in portal.deals.values()) == 600, "the demo portal's deals"
    assert len(portal.stages) == 3, "the demo portal's funnels"
    assert served.deals == portal.deals  # deals per funnel and stage, and their sums
    assert served.counterparties == portal.counterparties
    assert served.stages == portal.stages
    assert served.catalog == portal.catalog  # the portal's product sections and products, as the catalog holds them
    assert [(j["mode"], j["status"]) for j in portal_baseline.jobs] == [("full", "succeeded")]
    assert published(portal_baseline.jobs[0]) == portal.events
    assert not portal_baseline.delivery.problems()
    assert not portal_baseline.delivery.dead_letters
    for group in portal_baseline.delivery.groups.values():
        assert group.applied == group.on_topics > 0


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_of_the_bitrix24_connector_mid_sync_resumes_and_loses_nothing(
    infra: PrivateInfra, portal_baseline: PortalBaseline
) -> None:
    injected: list[str] = []
    full = portal_baseline.portal.events
    with system_with_portal(infra.infra, SLOW_PORTAL) as sut:
        killed: set[str] = set()
        for n, at in enumerate(KILL_AT, 1):
            job = wait_until(f"kill #{n}", lambda at=at: running_job_past(sut, at, killed, SCHEMA), timeout=120)
            sut.kill(PROCESS)
            killed.add(job["id"])
            # mid-sync: the job had published events and had not finished (its row still says running)
            assert job["status"] == "running", job
            assert 0 < job["published"] < full, job
            injected.append(
                f"SIGKILL {PROCESS} #{n} during its {job['mode']} sync: {job['published']} of {full} events "
                "published by that job"
            )
            sut.restart(PROCESS)
        last = finished_job(sut, "the resumed sync", timeout=180)
        assert last["status"] == "succeeded", last
        jobs = sync_jobs(sut, SCHEMA)
        figures = {f"b24 job {i + 1} {j['mode']} {j['status']}": published(j) for i, j in enumerate(jobs)}
        assert_same_as_baseline(
            sut,
            portal_baseline,
            "SIGKILL: Bitrix24 connector x2 mid-sync",
            injected,
            extra=figures,
            connectors=CONNECTORS,
            tables=TABLES_WITH_CRM,
        )
        assert [(j["mode"], j["status"]) for j in jobs] == [
            ("full", "interrupted"),
            ("resume", "interrupted"),
            ("resume", "succeeded"),
        ]
        # each job went on where the killed one stopped: a page's count is recorded with its cursor, so over the three
        # jobs every type adds up to one full sync exactly (a type walked again from the start would count twice)
        walked = sum((Counter(j["counts"]) for j in jobs), Counter())
        assert walked == +Counter(portal_baseline.jobs[0]["counts"]), figures
        assert 0 < published(jobs[-1]) < full, figures
        assert sut.processes[PROCESS].starts == 3


def finished_job(sut: System, what: str, timeout: float) -> dict[str, Any]:
    """The connector's newest job once it has ended (succeeded or not, with its detail); an interrupted job is one
    the restarted connector is about to resume, not an end."""

    def ended() -> dict[str, Any] | None:
        jobs = sync_jobs(sut, SCHEMA)
        return jobs[-1] if jobs and jobs[-1]["status"] not in ("running", "interrupted") else None

    return wait_until(f"{what} to end", ended, timeout=timeout, every=0.5)


def set_faults(sut: System, **faults: object) -> None:
    url = f"{sut.url('bitrix24-simulator')}/__sim/faults"
    response = httpx.put(url, json={"latency_ms": 200, **faults}, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_503_storm_and_the_method_time_limit_delay_the_sync_but_change_nothing(
    infra: PrivateInfra, portal_baseline: PortalBaseline
) -> None:
    injected = [f"from start-up: every answer 200 ms late; {STORMY_PORTAL}"]
    with system_with_portal(infra.infra, STORMY_PORTAL) as sut:
        job = wait_until("the sync under way", lambda: running_job_past(sut, 50, connector=SCHEMA), timeout=120)
        set_faults(sut, storm_503_probability=1.0)
        time.sleep(STORM_SECONDS)
        set_faults(sut)
        injected.append(
            f"503 QUERY_LIMIT_EXCEEDED on every request for {STORM_SECONDS}s from {job['published']} events on; "
            f"{connector_counters(sut)}"
        )
        last = finished_job(sut, "the sync", timeout=300)
        assert last["status"] == "succeeded", last
        counters = {**connector_counters(sut), **portal_answers(sut)}
        jobs = sync_jobs(sut, SCHEMA)
        assert_same_as_baseline(
            sut,
            portal_baseline,
            "Bitrix24 503 storm and 429 OPERATION_TIME_LIMIT",
            injected,
            extra=counters,
            connectors=CONNECTORS,
            tables=TABLES_WITH_CRM,
        )
        # one job rode out both: it waited and retried instead of failing
        assert [(j["mode"], j["status"]) for j in jobs] == [("full", "succeeded")]
        assert counters.get("portal answered 503", 0) > 0, counters
        assert counters.get("b24 retries 503_limit", 0) > 0, counters
        assert counters.get("b24 limited leaky", 0) > 0, counters
        assert counters.get("b24 held crm.deal.productrows.get", 0) > 0, counters

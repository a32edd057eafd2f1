"""Two connector replicas on one database, the scheduler running in both: one sync per integration at a time across
replicas, a webhook delivered to either one syncs, and the replica SIGKILLed mid-sync is taken over by the other
(resumed from its saved cursors). The final state equals the undisturbed single-replica run's."""

from __future__ import annotations

import itertools
import os
import uuid
from typing import Any
from unittest import mock

import httpx
import pytest
from delivery import Baseline, assert_same_as_baseline
from e2e_harness import PORT_VARIABLES, SimulatorSpec, System, full_system, login, wait_ready
from oracle import fetch
from private_infra import PrivateInfra
from scenario import running_job_past, wait_until

from crm_testing import free_port
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.webhooks.tokens import webhook_token

FIRST, SECOND = "moysklad-connector", "moysklad-connector-2"
SLOW_SIMULATOR = SimulatorSpec(env=(("MOYSKLAD_SIM_FAULT_LATENCY_MS", "200"),))


def jobs(sut: System) -> list[dict[str, Any]]:
    query = (
        "select id::text, mode, trigger, status, started_at, finished_at from moysklad.sync_jobs order by created_at"
    )
    return [dict(r) for r in fetch(sut.database_url, {"jobs": query})["jobs"]]


def logged(sut: System, name: str, text: str) -> bool:
    log = sut.processes[name].log
    return log.exists() and text in log.read_text(errors="replace")


def slow_answers(sut: System, latency_ms: int) -> None:
    response = httpx.put(f"{sut.url('simulator')}/__sim/faults", json={"latency_ms": latency_ms}, timeout=10)
    assert response.status_code == 200, response.text


def hook(sut: System, url: str, integration: str = "default") -> httpx.Response:
    with mock.patch.dict(os.environ, sut.env):
        token = webhook_token(ConnectorSettings(), integration)
    body = {"events": [{"meta": {"type": "product", "href": "x"}, "action": "UPDATE"}]}
    params = {"integration": integration, "token": token, "requestId": str(uuid.uuid4())}
    return httpx.post(f"{url}/api/v1/integrations/moysklad/webhook", params=params, json=body, timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_connector_replicas_sync_once_at_a_time_and_take_over_a_killed_one(
    infra: PrivateInfra, baseline: Baseline
) -> None:
    injected: list[str] = []
    env = {"CONNECTOR_TAKEOVER_CHECK_SECONDS": "2", "CONNECTOR_WEBHOOK_SETTLE_SECONDS": "0"}
    with full_system(infra=infra.infra, sim=SLOW_SIMULATOR, extra_env=env) as sut:
        token = login(sut)
        headers = {"authorization": f"Bearer {token}"}
        killed = wait_until("the first replica's full sync to publish", lambda: running_job_past(sut, 40), timeout=120)
        # Hold the sync mid-way (every MoySklad answer 2 s late) while the second replica starts, so that it meets a
        # running sync however long its start-up takes on a loaded machine.
        slow_answers(sut, 2000)

        port = free_port()
        sut.spawn(SECOND, port, f"crm-{FIRST}", "serve", extra_env={PORT_VARIABLES[FIRST]: str(port)})
        wait_ready(sut.processes[SECOND], timeout=120)
        second = sut.url(SECOND)
        # Its scheduler's first round met the running sync and left it alone; an admin asking it is refused too.
        wait_until("the second replica's first round", lambda: logged(sut, SECOND, "sync already running, skipped"))
        refused = httpx.post(f"{second}/api/v1/admin/sync/start", json={"mode": "full"}, headers=headers, timeout=10)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "Conflict"
        assert [j["status"] for j in jobs(sut)] == ["running"]

        published = running_job_past(sut, 0) or {}
        sut.kill(FIRST)
        del sut.processes[FIRST]  # gone for good: the other replica carries on
        slow_answers(sut, 200)
        injected.append(f"SIGKILL {FIRST} during its full sync: {published.get('published')} events published")
        took_over = wait_until(
            "the second replica to take the sync over",
            lambda: [j for j in jobs(sut) if j["trigger"] == "takeover" and j["status"] == "succeeded"],
            timeout=240,
            every=0.5,
        )
        assert took_over[0]["mode"] == "resume"
        orphan = next(j for j in jobs(sut) if j["id"] == killed["id"])
        assert orphan["status"] == "interrupted"
        injected.append(f"{SECOND} resumed it (job {took_over[0]['id']}) after the takeover check found no lock holder")

        # A webhook that reaches the surviving replica runs an incremental sync there.
        assert hook(sut, second).status_code == 204
        hinted = wait_until(
            "the hinted sync on the second replica",
            lambda: [j for j in jobs(sut) if j["trigger"] == "webhook" and j["finished_at"] is not None],
            timeout=120,
        )
        assert [(j["mode"], j["status"]) for j in hinted] == [("incremental", "succeeded")]

        # Never two syncs at once: each job ended before the next one started.
        history = jobs(sut)
        for earlier, later in itertools.pairwise(history):
            assert earlier["finished_at"] is not None, history
            assert earlier["finished_at"] <= later["started_at"], history
        injected.append(f"jobs: {[(j['mode'], j['trigger'], j['status']) for j in history]}")

        assert_same_as_baseline(sut, baseline, "two connector replicas, one SIGKILLed mid-sync", injected)

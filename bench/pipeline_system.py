"""The whole system for the end-to-end benchmarks: every service as a process (tests-e2e/e2e_harness.py), with the
MoySklad simulator in this process (so a benchmark can change the shop and time what follows), a fresh database and
a topic prefix of its own. The connector is started last, by the benchmark, so that its first full sync is timed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests-e2e"))
os.environ.setdefault("KAFKA_TOPIC_PREFIX", f"bench-{uuid.uuid4().hex[:6]}.")

import e2e_harness  # noqa: E402
import httpx  # noqa: E402
from e2e_harness import (  # noqa: E402
    MIGRATED,
    SERVICES,
    Infra,
    SimulatorSpec,
    System,
    fresh_database,
    full_env,
    start_services,
    wait_ready,
)

from crm_testing import free_port  # noqa: E402
from crm_testing.kafka import delete_run_topics  # noqa: E402
from gateway_service.health.lag import consumer_lag  # noqa: E402
from moysklad_simulator import Settings as SimSettings  # noqa: E402
from moysklad_simulator.testing import RunningSimulator, serve_in_thread  # noqa: E402

ADMIN = e2e_harness.ADMIN
BIN = e2e_harness.BIN  # this environment's console scripts (crm-<service>)
PORT_VARIABLES = e2e_harness.PORT_VARIABLES  # for the benchmarks that start more processes of a service
# SIGTERM (a runner's timeout) unwinds like Ctrl-C, so the service processes are stopped and the database dropped.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
CONNECTOR = "moysklad-connector"


@contextmanager
def bench_system(
    scale: str,
    *,
    seed: int = 4242,
    webhooks: bool = True,
    defer: tuple[str, ...] = (),
    rate_limits: bool = False,
    list_cache: bool = False,
    window_units: int = 45,
) -> Iterator[tuple[System, RunningSimulator]]:
    """Services up (connector not yet started, nor those in ``defer``), simulator serving ``scale`` (MoySklad's rate
    limits off unless ``rate_limits``; ``list_cache`` for a run that changes the shop only through the simulator's
    API, as its `serve` command does). ``window_units`` is the limit the simulator announces in its rate-limit
    headers, which the connector paces itself by even when the simulator does not enforce it: a bench that only
    needs the topics filled raises it, so the sync is not paced like MoySklad's."""
    e2e_harness.LOGS = ROOT / ".local" / "logs" / "bench"
    infra = Infra.shared()
    settings = SimSettings(
        scale=scale,
        seed=seed,
        anchor="2026-01-15 00:00:00",
        rate_limits_enabled=rate_limits,
        list_cache=list_cache,
        rate_limit_units=window_units,
    )
    with serve_in_thread(settings) as sim:
        login, password = sim.basic_auth
        ports = {name: free_port() for name in SERVICES}
        ports["simulator"] = int(urlsplit(sim.api_url).port or 0)
        prefix = f"{os.environ['KAFKA_TOPIC_PREFIX']}{uuid.uuid4().hex[:6]}."
        with fresh_database(infra.database) as database_url:
            spec = SimulatorSpec(scale=scale, seed=seed, login=login, password=password)
            env = full_env(infra, database_url, ports, spec, prefix)
            env.update({"MOYSKLAD_BASE_URL": sim.api_url, "LOG_LEVEL": "WARNING"})
            if webhooks:
                gateway = f"http://127.0.0.1:{ports['gateway']}"
                env["CONNECTOR_PUBLIC_WEBHOOK_URL"] = f"{gateway}/api/v1/integrations/moysklad/webhook"
            sut = System(database_url, env, topic_prefix=prefix, ports=ports)
            try:
                sut.run_many([(f"crm-{service}", "migrate") for service in MIGRATED])
                sut.run("crm-auth", "create-admin")
                start_services(sut, [s for s in SERVICES if s != CONNECTOR and s not in defer])
                yield sut, sim
            finally:
                sut.stop()
                try:
                    asyncio.run(delete_run_topics(prefix, env["KAFKA_BOOTSTRAP_SERVERS"]))
                except Exception as exc:  # cleanup only; never hide the run's own result
                    print(f"(could not delete the run's topics {prefix}*: {exc})")


def start_connector(sut: System) -> float:
    """Spawn the connector (its start-up full sync begins at once); returns when it was spawned."""
    spawned = time.time()
    sut.spawn(CONNECTOR, sut.ports[CONNECTOR], f"crm-{CONNECTOR}", "serve")
    wait_ready(sut.processes[CONNECTOR], timeout=120)
    return spawned


def admin_token(sut: System) -> str:
    response = httpx.post(f"{sut.url('gateway')}/api/v1/auth/login", json=ADMIN, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


def finished_full_sync(sut: System, token: str, timeout: float = 1800) -> dict[str, Any]:
    """The start-up full sync job once it succeeded. A sync of a large shop outlasts an access token (15 minutes):
    on 401 the admin logs in again, as a client would."""
    deadline = time.monotonic() + timeout
    headers = {"authorization": f"Bearer {token}"}
    # One client for the whole wait: a new one per poll builds an SSL context each time, CPU taken from the
    # simulator that shares this process.
    with httpx.Client(headers=headers, timeout=30) as client:
        while time.monotonic() < deadline:
            response = client.get(f"{sut.url('gateway')}/api/v1/admin/sync/jobs")
            if response.status_code == 401:
                client.headers["authorization"] = f"Bearer {admin_token(sut)}"
                continue
            if response.status_code == 200:
                jobs = [j for j in response.json()["items"] if j["mode"] == "full"]
                if jobs and jobs[-1]["status"] in ("succeeded", "failed"):
                    if jobs[-1]["status"] == "failed":
                        raise RuntimeError(f"full sync failed: {jobs[-1]}")
                    return dict(jobs[-1])
            time.sleep(0.5)
    raise RuntimeError(f"no full sync finished in {timeout}s")


def settled_at(
    sut: System, groups: tuple[str, ...] = ("catalog", "inventory", "analytics"), timeout: float = 1800
) -> float:
    """When every consumer group of the system had committed everything published (lag 0 twice in a row)."""
    deadline = time.monotonic() + timeout
    servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
    zero_since: float | None = None
    while time.monotonic() < deadline:
        lag = asyncio.run(consumer_lag(servers, prefix=sut.topic_prefix))
        mine = {g: v for g, v in lag.items() if any(name in g[len(sut.topic_prefix) :] for name in groups)}
        if len(mine) >= len(groups) and all(v["lag"] == 0 for v in mine.values()):
            if zero_since is not None:
                return zero_since
            zero_since = time.time()
        else:
            zero_since = None
        time.sleep(0.5)
    raise RuntimeError(f"consumers did not catch up in {timeout}s")


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()

"""Start the system the way `make dev` does: real service processes on real sockets, against real infrastructure.

Each run gets a fresh PostgreSQL database (dropped afterwards), its own Kafka topic prefix (set by the test runner)
and free ports, so it never meets a running `make dev` or another test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg_compat

from crm_common.testing import free_port, kafka_servers, test_database_url

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".local" / "logs" / "e2e"
BIN = Path(sys.executable).parent


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])


@dataclass
class System:
    database_url: str
    env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)

    def run(self, *cmd: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [str(BIN / cmd[0]), *cmd[1:]],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self, name: str, port: int, *cmd: str, extra_env: dict[str, str] | None = None) -> Process:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            [str(BIN / cmd[0]), *cmd[1:]],
            env={**self.env, **(extra_env or {})},
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, port, popen, log)
        self.processes[name] = process
        wait_ready(process)
        return process

    def url(self, name: str) -> str:
        return self.processes[name].url

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.popen.kill()


def wait_ready(process: Process, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            if httpx.get(f"{process.url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{process.name} not ready after {timeout}s:\n{process.tail()}")


@contextmanager
def fresh_database() -> Iterator[str]:
    base = test_database_url()
    name = f"crm_e2e_{uuid.uuid4().hex[:8]}"
    psycopg_compat.execute(base, f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        psycopg_compat.execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def system(simulator_api_url: str, login: str, password: str) -> Iterator[System]:
    """Auth, catalog, connector and gateway as separate processes wired to each other and to the simulator."""
    ports = {name: free_port() for name in ("auth", "catalog", "connector", "gateway")}
    with fresh_database() as database_url:
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_servers(),
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "JWKS_URL": f"http://127.0.0.1:{ports['auth']}/api/v1/auth/.well-known/jwks.json",
            "LOG_JSON": "true",
            "AUTH_PORT": str(ports["auth"]),
            "CATALOG_PORT": str(ports["catalog"]),
            "CONNECTOR_PORT": str(ports["connector"]),
            "GATEWAY_PORT": str(ports["gateway"]),
            "GATEWAY_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
            "GATEWAY_CATALOG_URL": f"http://127.0.0.1:{ports['catalog']}",
            "GATEWAY_CONNECTOR_URL": f"http://127.0.0.1:{ports['connector']}",
            "MOYSKLAD_BASE_URL": simulator_api_url,
            "MOYSKLAD_USERNAME": login,
            "MOYSKLAD_PASSWORD": password,
        }
        env.pop("MOYSKLAD_TOKEN", None)
        sut = System(database_url, env)
        try:
            for service in ("auth", "catalog", "moysklad-connector"):
                sut.run(f"crm-{service}", "migrate")
            sut.run("crm-auth", "create-admin")
            sut.start("auth", ports["auth"], "crm-auth", "serve")
            sut.start("catalog", ports["catalog"], "crm-catalog", "serve")
            sut.start("connector", ports["connector"], "crm-moysklad-connector", "serve")
            sut.start("gateway", ports["gateway"], "crm-gateway", "serve")
            yield sut
        finally:
            sut.stop()

"""Start the system the way `make dev` does: real service processes on real sockets, against real infrastructure.

Each run gets a fresh PostgreSQL database (dropped afterwards), its own Kafka topic prefix (set by the test runner)
and free ports, so it never meets a running `make dev` or another test suite.

`system()` is the small walking-skeleton system (simulator in a thread). `full_system()` starts every service and
the simulator as separate processes, so a failure test can `kill` (SIGKILL by default) and `restart` any of them.

With E2E_CONTAINERS=<registry>:<tag> (`scripts/containers.sh e2e`) every command runs from its image under podman
instead (host network, read-only root, no capabilities, as docker-compose.yml runs them): the same tests, the images.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg_compat

from crm_testing import free_port, kafka_servers, redis_url, test_database_url

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".local" / "logs" / "e2e"
BIN = Path(sys.executable).parent

# every service of the system, in start order, with the migrations it owns
SERVICES = ("auth", "catalog", "inventory", "analytics", "moysklad-connector", "gateway")
MIGRATED = ("auth", "catalog", "inventory", "analytics", "moysklad-connector")
PORT_VARIABLES = {
    "auth": "AUTH_PORT",
    "catalog": "CATALOG_PORT",
    "inventory": "INVENTORY_PORT",
    "analytics": "ANALYTICS_PORT",
    "moysklad-connector": "CONNECTOR_PORT",
    "gateway": "GATEWAY_PORT",
}
ADMIN = {"email": "admin@example.com", "password": "admin123"}
CONTAINERS = os.environ.get("E2E_CONTAINERS", "")
CONTAINER_PREFIX = os.environ.get("E2E_CONTAINER_PREFIX", "crm-e2e")
# the settings a container gets from the test's environment (never the host's PATH, HOME, virtualenv, ...)
CONTAINER_ENV = re.compile(
    r"(ENVIRONMENT|DATABASE_URL|REDIS_URL|JWKS_URL|SECRET_KEY|"
    r"(KAFKA|JWT|LOG|GATEWAY|MOYSKLAD|CONNECTOR|ANALYTICS|CATALOG|INVENTORY|AUTH|OTEL)_\w+|\w+_PORT)"
)


def command(cmd: Sequence[str], env: dict[str, str], name: str = "") -> tuple[list[str], str]:
    """The argv that runs ``cmd`` (a console script and its arguments), and the container's name if it is one."""
    if not CONTAINERS:
        return [str(BIN / cmd[0]), *cmd[1:]], ""
    registry, tag = CONTAINERS.rsplit(":", 1)
    container = f"{CONTAINER_PREFIX}-{name or cmd[0]}-{uuid.uuid4().hex[:6]}"
    argv = ["podman", "run", "--rm", "--name", container, "--label", f"crm-e2e={CONTAINER_PREFIX}"]
    argv += ["--network=host", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"]  # noqa: S108 - in the container
    argv += ["--no-healthcheck"]
    argv += ["--security-opt", "no-new-privileges", "-e", "HTTP_HOST=127.0.0.1", "--entrypoint", cmd[0]]
    argv += [f"--env={key}" for key in sorted(env) if CONTAINER_ENV.fullmatch(key)]  # the value: podman's own env
    return [*argv, f"{registry}/{cmd[0].removeprefix('crm-')}:{tag}", *cmd[1:]], container


def remove_containers() -> None:
    if CONTAINERS:
        names = subprocess.run(
            ["podman", "ps", "-aq", "--filter", f"label=crm-e2e={CONTAINER_PREFIX}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if names:
            subprocess.run(["podman", "rm", "-f", *names], capture_output=True, check=False)


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/health/ready"
    starts: int = 1
    container: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])


@dataclass
class System:
    database_url: str
    env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)
    topic_prefix: str = ""
    ports: dict[str, int] = field(default_factory=dict)

    def run(self, *cmd: str, timeout: float = 120) -> None:
        result = subprocess.run(
            command(cmd, self.env)[0],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def run_many(self, commands: Sequence[Sequence[str]], timeout: float = 180) -> None:
        """Run several commands at once (migrations of independent schemas); fail naming the first that failed."""
        running = [
            (
                cmd,
                subprocess.Popen(
                    command(cmd, self.env)[0],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                ),
            )
            for cmd in commands
        ]
        failures = []
        for cmd, popen in running:
            out, _ = popen.communicate(timeout=timeout)
            if popen.returncode != 0:
                failures.append(f"{' '.join(cmd)} failed ({popen.returncode}):\n{out.decode(errors='replace')}")
        if failures:
            raise AssertionError("\n".join(failures))

    def spawn(
        self,
        name: str,
        port: int,
        *cmd: str,
        extra_env: dict[str, str] | None = None,
        ready_path: str = "/health/ready",
    ) -> Process:
        """Start a process without waiting for it (see `wait_ready`)."""
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"{name}.log"
        env = {**self.env, **(extra_env or {})}
        argv, container = command(cmd, env, name)
        previous = self.processes.get(name)
        with log.open("ab" if previous else "wb") as handle:
            if previous:
                handle.write(f"\n----- restart #{previous.starts} -----\n".encode())
                handle.flush()
            popen = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        starts = (previous.starts + 1) if previous else 1
        process = Process(name, port, popen, log, argv, env, ready_path, starts, container)
        self.processes[name] = process
        return process

    def start(
        self,
        name: str,
        port: int,
        *cmd: str,
        extra_env: dict[str, str] | None = None,
        ready_path: str = "/health/ready",
    ) -> Process:
        process = self.spawn(name, port, *cmd, extra_env=extra_env, ready_path=ready_path)
        wait_ready(process)
        return process

    def url(self, name: str) -> str:
        return self.processes[name].url

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL: no shutdown hooks run) to the process and wait until it is gone."""
        process = self.processes[name]
        if process.alive:
            if process.container:  # the container, not the podman client
                subprocess.run(["podman", "kill", "--signal", str(int(sig)), process.container], check=False)
            process.popen.send_signal(sig)
            process.popen.wait(timeout=30)

    def restart(self, name: str, *, wait: bool = True) -> Process:
        """Start ``name`` again with the command, port and environment it had."""
        old = self.processes[name]
        if old.alive:
            raise AssertionError(f"{name} is still running; kill it first")
        LOGS.mkdir(parents=True, exist_ok=True)
        argv, container = list(old.argv), old.container
        if container:  # a container of its own (the old one may still be being removed)
            container = f"{CONTAINER_PREFIX}-{name}-{uuid.uuid4().hex[:6]}"
            argv[argv.index("--name") + 1] = container
        with old.log.open("ab") as handle:
            handle.write(f"\n----- restart #{old.starts} -----\n".encode())
            handle.flush()
            popen = subprocess.Popen(
                argv, env=old.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name, old.port, popen, old.log, argv, old.env, old.ready_path, old.starts + 1, container)
        self.processes[name] = process
        if wait:
            wait_ready(process)
        return process

    def dead(self) -> list[str]:
        """Names of processes that exited on their own."""
        return [name for name, p in self.processes.items() if not p.alive]

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=10)
        remove_containers()


def wait_ready(process: Process, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            if httpx.get(f"{process.url}{process.ready_path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{process.name} not ready after {timeout}s:\n{process.tail()}")


@contextmanager
def fresh_database(base: str | None = None) -> Iterator[str]:
    base = base or test_database_url()
    name = f"crm_e2e_{uuid.uuid4().hex[:8]}"
    psycopg_compat.execute(base, f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        psycopg_compat.drop_database(base, name)


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
            "REDIS_URL": redis_url(14),
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
            # the daily reconciliation would be an unplanned sync in a test that runs at that hour; tests start it
            "CONNECTOR_RECONCILE_ENABLED": "false",
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


# ------------------------------------------------------------------------------------------- the whole system


@dataclass(frozen=True)
class SimulatorSpec:
    """The simulator's start-up settings: the same spec always serves the same shop (ids, documents, money)."""

    scale: str = "tiny"
    seed: int = 7
    anchor: str = "2026-01-15 00:00:00"
    login: str = "admin@demo"
    password: str = "demo-password"
    env: tuple[tuple[str, str], ...] = ()  # extra MOYSKLAD_SIM_* settings, e.g. fault probabilities

    def settings_env(self) -> dict[str, str]:
        return {
            "MOYSKLAD_SIM_SCALE": self.scale,
            "MOYSKLAD_SIM_SEED": str(self.seed),
            "MOYSKLAD_SIM_ANCHOR": self.anchor,
            "MOYSKLAD_SIM_LOGIN": self.login,
            "MOYSKLAD_SIM_PASSWORD": self.password,
            **dict(self.env),
        }


@dataclass(frozen=True)
class Infra:
    """Where the system's Kafka, PostgreSQL (a database to create others from) and Redis are."""

    kafka: str
    database: str
    redis: str

    @classmethod
    def shared(cls) -> Infra:
        return cls(kafka_servers(), test_database_url(), redis_url(14))


def full_env(infra: Infra, database_url: str, ports: dict[str, int], sim: SimulatorSpec, prefix: str) -> dict[str, str]:
    upstream = {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "REDIS_URL": infra.redis,
        "JWKS_URL": f"{upstream['auth']}/api/v1/auth/.well-known/jwks.json",
        "LOG_JSON": "true",
        **{PORT_VARIABLES[name]: str(port) for name, port in ports.items() if name in PORT_VARIABLES},
        "GATEWAY_AUTH_URL": upstream["auth"],
        "GATEWAY_CATALOG_URL": upstream["catalog"],
        "GATEWAY_INVENTORY_URL": upstream["inventory"],
        "GATEWAY_ANALYTICS_URL": upstream["analytics"],
        "GATEWAY_CONNECTOR_URL": upstream["moysklad-connector"],
        "MOYSKLAD_BASE_URL": f"http://127.0.0.1:{ports['simulator']}/api/remap/1.2",
        "MOYSKLAD_USERNAME": sim.login,
        "MOYSKLAD_PASSWORD": sim.password,
        # one full sync at start-up, no second round during a test
        "MOYSKLAD_SYNC_INTERVAL_MINUTES": "600",
        "CONNECTOR_RECONCILE_ENABLED": "false",
        "CONNECTOR_BACKOFF_MAX_SECONDS": "4",
        # time-dependent alerts would make two runs differ for reasons that are not failures
        "ANALYTICS_RUN_REVENUE_DROP_CHECKER": "false",
    }
    env.pop("MOYSKLAD_TOKEN", None)
    return env


def start_simulator(sut: System, sim: SimulatorSpec) -> Process:
    port = sut.ports["simulator"]
    return sut.spawn(
        "simulator",
        port,
        "moysklad-simulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        extra_env=sim.settings_env(),
        ready_path="/__sim/state",
    )


@contextmanager
def full_system(
    *,
    infra: Infra | None = None,
    sim: SimulatorSpec | None = None,
    extra_env: dict[str, str] | None = None,
    before_start: Callable[[System], None] | None = None,
    defer: Sequence[str] = (),
) -> Iterator[System]:
    """Every service and the simulator as separate processes, against a fresh database and a fresh topic prefix.

    ``before_start`` runs after the migrations and before any service starts (e.g. to plant a fault in a schema).
    Services named in ``defer`` are not started (start them later with ``start_service``).
    """
    infra = infra or Infra.shared()
    sim = sim or SimulatorSpec()
    ports = {name: free_port() for name in (*SERVICES, "simulator")}
    # a topic prefix of its own under the suite's (the runner deletes everything under the suite's prefix)
    prefix = f"{os.environ.get('KAFKA_TOPIC_PREFIX', 'e2e.')}{uuid.uuid4().hex[:6]}."
    with fresh_database(infra.database) as database_url:
        env = {**full_env(infra, database_url, ports, sim, prefix), **(extra_env or {})}
        sut = System(database_url, env, topic_prefix=prefix, ports=ports)
        try:
            start_simulator(sut, sim)
            sut.run_many([(f"crm-{service}", "migrate") for service in MIGRATED])
            sut.run("crm-auth", "create-admin")
            if before_start is not None:
                before_start(sut)
            start_services(sut, [s for s in SERVICES if s not in defer])
            wait_ready(sut.processes["simulator"])
            yield sut
        finally:
            sut.stop()


BITRIX24_WEBHOOK_CODE = "b24simdemo0123456789"  # the Bitrix24 simulator's default incoming webhook
BITRIX24_APPLICATION_TOKEN = "0123456789abcdef0123456789abcdef"  # and the token its events carry


def bitrix24_ports() -> dict[str, int]:
    """Ports of a Bitrix24 portal and connector; give ``bitrix24_gateway_env`` of them to ``full_system``."""
    return {"bitrix24-simulator": free_port(), "bitrix24-connector": free_port()}


def bitrix24_gateway_env(ports: dict[str, int]) -> dict[str, str]:
    return {"GATEWAY_BITRIX24_CONNECTOR_URL": f"http://127.0.0.1:{ports['bitrix24-connector']}"}


def start_bitrix24(
    sut: System,
    sim: SimulatorSpec,
    ports: dict[str, int],
    *,
    overlap_share: str = "0.5",
    scale: str = "tiny",
    portal_env: dict[str, str] | None = None,
    connector_env: dict[str, str] | None = None,
) -> None:
    """A Bitrix24 portal sharing customers with the system's MoySklad shop, and the Bitrix24 connector syncing it.

    ``scale`` other than ``tiny`` draws the shared customers from the MoySklad simulator's shop of that scale;
    ``portal_env`` adds ``BITRIX24_SIM_*`` settings (limits, faults), ``connector_env`` ``BITRIX24_CONNECTOR_*`` ones.
    """
    portal, connector = ports["bitrix24-simulator"], ports["bitrix24-connector"]
    sut.ports.update(ports)
    sut.spawn(
        "bitrix24-simulator",
        portal,
        "bitrix24-simulator",
        "serve",
        "--port",
        str(portal),
        extra_env={
            # the same MoySklad shop as the system's simulator, so the shared customers are the same people
            "BITRIX24_SIM_SCALE": scale,
            "BITRIX24_SIM_SEED": str(sim.seed),
            "BITRIX24_SIM_ANCHOR": sim.anchor,
            "BITRIX24_SIM_OVERLAP_SHARE": overlap_share,
            **(portal_env or {}),
        },
        ready_path="/__sim/state",
    )
    wait_ready(sut.processes["bitrix24-simulator"])
    sut.run("crm-bitrix24-connector", "migrate")
    sut.spawn(
        "bitrix24-connector",
        connector,
        "crm-bitrix24-connector",
        "serve",
        extra_env={
            "BITRIX24_CONNECTOR_PORT": str(connector),
            "BITRIX24_CONNECTOR_WEBHOOK_URL": f"http://127.0.0.1:{portal}/rest/1/{BITRIX24_WEBHOOK_CODE}/",
            "BITRIX24_CONNECTOR_APPLICATION_TOKEN": BITRIX24_APPLICATION_TOKEN,
            "BITRIX24_CONNECTOR_SYNC_INTERVAL_MINUTES": "600",
            "BITRIX24_CONNECTOR_RECONCILE_ENABLED": "false",
            **(connector_env or {}),
        },
    )
    wait_ready(sut.processes["bitrix24-connector"], timeout=120)


def start_services(sut: System, names: Sequence[str]) -> None:
    """Spawn the services at once (start-up is mostly imports), then wait for each to be ready."""
    for name in names:
        sut.spawn(name, sut.ports[name], f"crm-{name}", "serve")
    for name in names:
        wait_ready(sut.processes[name], timeout=120)


def login(sut: System) -> str:
    response = httpx.post(f"{sut.url('gateway')}/api/v1/auth/login", json=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])

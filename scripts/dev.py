"""`make dev`: the whole system on this machine with demo data, in the foreground until Ctrl-C.

Starts (or reuses) the infrastructure, creates the Kafka topics, migrates every schema, creates the development admin,
starts the MoySklad simulator with a demo shop, the Bitrix24 simulator with a portal sharing its customers, and every
service (the Bitrix24 connector syncs the portal by itself), runs a first MoySklad sync through the gateway, prints what
runs where, then waits. Ctrl-C stops every process it started (and the infrastructure, if it started that too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "scripts" / "infra" / "infra.sh"
LOGS = ROOT / ".local" / "logs"
GATEWAY = "http://127.0.0.1:8000"
SIMULATOR_PORT = int(os.environ.get("MOYSKLAD_SIM_PORT", "8090"))
SCALE = os.environ.get("MOYSKLAD_SIM_SCALE", "demo")
BITRIX24_SIM_PORT = int(os.environ.get("BITRIX24_SIM_PORT", "8091"))
BITRIX24_WEBHOOK = f"http://127.0.0.1:{BITRIX24_SIM_PORT}/rest/1/b24simdemo0123456789/"  # the simulator's default

# name, port, command; order matters: auth first (everyone fetches its JWKS), the gateway last.
SERVICES: list[tuple[str, int, list[str]]] = [
    ("auth", 8001, ["crm-auth", "serve"]),
    ("catalog", 8002, ["crm-catalog", "serve"]),
    ("inventory", 8003, ["crm-inventory", "serve"]),
    ("analytics", 8004, ["crm-analytics", "serve"]),
    ("moysklad-connector", 8005, ["crm-moysklad-connector", "serve"]),
    ("bitrix24-connector", 8006, ["crm-bitrix24-connector", "serve"]),
    ("gateway", 8000, ["crm-gateway", "serve"]),
]
MIGRATED = ["auth", "catalog", "inventory", "analytics", "moysklad-connector", "bitrix24-connector"]

DEV_ENV = {
    "ENVIRONMENT": "development",
    "LOG_JSON": "true",
    "MOYSKLAD_BASE_URL": f"http://127.0.0.1:{SIMULATOR_PORT}/api/remap/1.2",
    "MOYSKLAD_USERNAME": "admin@demo",
    "MOYSKLAD_PASSWORD": "demo-password",
    "MOYSKLAD_SYNC_INTERVAL_MINUTES": os.environ.get("MOYSKLAD_SYNC_INTERVAL_MINUTES", "1"),
    # The Bitrix24 connector's default integration is the simulator's portal; its events come through the gateway.
    "BITRIX24_CONNECTOR_WEBHOOK_URL": BITRIX24_WEBHOOK,
    "BITRIX24_CONNECTOR_APPLICATION_TOKEN": "0123456789abcdef0123456789abcdef",  # the simulator's default
    "BITRIX24_CONNECTOR_PUBLIC_WEBHOOK_URL": f"{GATEWAY}/api/v1/integrations/bitrix24/webhook",
    "BITRIX24_CONNECTOR_SYNC_INTERVAL_MINUTES": os.environ.get("BITRIX24_SYNC_INTERVAL_MINUTES", "1"),
}

children: list[tuple[str, subprocess.Popen[bytes]]] = []


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str]) -> None:
    """Run a set-up step quietly; show its output only if it fails."""
    result = subprocess.run(cmd, env=env, cwd=ROOT, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise SystemExit(f"[dev] failed: {' '.join(cmd)} (exit {result.returncode})")
    say(f"ok: {' '.join(cmd[-2:]) if cmd[0] == sys.executable else ' '.join(cmd)}")


def infra_env() -> dict[str, str]:
    out = subprocess.run([str(INFRA), "env"], capture_output=True, text=True, check=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value.strip("'\"")
    return env


def start(name: str, cmd: list[str], env: dict[str, str]) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    children.append((name, proc))


def http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback URLs only
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_ready(name: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"[dev] {name} exited with {proc.returncode}; see {LOGS / (name + '.log')}")
        try:
            if http("GET", f"http://127.0.0.1:{port}/health/ready")[0] == 200:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"[dev] {name} not ready after {timeout:.0f}s; see {LOGS / (name + '.log')}")


def first_sync() -> None:
    status, body = http("POST", f"{GATEWAY}/api/v1/auth/login", {"email": "admin@example.com", "password": "admin123"})
    if status != 200:
        raise SystemExit(f"[dev] login through the gateway failed: {status} {body}")
    token = body["access_token"]
    status, job = http("POST", f"{GATEWAY}/api/v1/admin/sync/start", {"mode": "full"}, token)
    if status == 409:
        say("a sync is already running (the connector starts one by itself); waiting for it")
    elif status not in (200, 201, 202):
        raise SystemExit(f"[dev] could not start a sync: {status} {job}")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        _, jobs = http("GET", f"{GATEWAY}/api/v1/admin/sync/jobs?limit=5", token=token)
        items = jobs.get("items", []) if isinstance(jobs, dict) else []
        if items and all(j.get("status") not in ("pending", "running") for j in items[:1]):
            say(f"first sync {items[0].get('status')}: {items[0].get('counts', {})}")
            break
        time.sleep(1)
    _, products = http("GET", f"{GATEWAY}/api/v1/products/?limit=1", token=token)
    say(f"catalog now serves {products.get('total', '?')} products through the gateway")


def banner() -> None:
    rows = [("web console", "http://localhost:8000/", "Russian first; English on the switch")]
    rows += [("gateway (public)", GATEWAY, "API docs: http://localhost:8000/api/v1/docs")]
    rows += [(n, f"http://127.0.0.1:{p}", f"log: .local/logs/{n}.log") for n, p, _ in SERVICES if n != "gateway"]
    rows += [
        ("moysklad simulator", f"http://127.0.0.1:{SIMULATOR_PORT}/api/remap/1.2", "login admin@demo / demo-password")
    ]
    rows += [("bitrix24 simulator", BITRIX24_WEBHOOK, "the incoming webhook (the connector syncs it by itself)")]
    rows += [("kafka / postgres / redis", "127.0.0.1:9092 / :5432 / :6379", "scripts/infra/infra.sh status")]
    print("\n  The system is up. Log in as admin@example.com / admin123 (development only).\n")
    for name, where, note in rows:
        print(f"  {name:26} {where:44} {note}")
    print("\n  Ctrl-C stops everything `make dev` started.\n", flush=True)


def stop_all(infra_started: bool) -> None:
    for _name, proc in reversed(children):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, proc in reversed(children):
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        say(f"stopped {name}")
    if infra_started:
        subprocess.run([str(INFRA), "down"], check=False)


def main() -> None:
    infra_was_up = subprocess.run([str(INFRA), "status"], capture_output=True, check=False).returncode == 0
    subprocess.run([str(INFRA), "up"], check=True)
    env = {**os.environ, **infra_env(), **DEV_ENV}
    # Ctrl-C and `kill` both stop everything; install the SIGINT handler explicitly because a process started in the
    # background by a non-interactive shell inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        say("creating topics, migrating schemas, creating the development admin")
        run([sys.executable, "-m", "crm_common.messaging.topics_cli"], env)
        for name in MIGRATED:
            run([f"crm-{name}", "migrate"], env)
        run(["crm-auth", "create-admin"], env)
        start(
            "simulator", ["moysklad-simulator", "serve", "--port", str(SIMULATOR_PORT), "--scale", SCALE, "--live"], env
        )
        b24_scale = os.environ.get("BITRIX24_SIM_SCALE", "demo")
        bitrix24 = ["bitrix24-simulator", "serve", "--port", str(BITRIX24_SIM_PORT), "--scale", b24_scale, "--live"]
        start("bitrix24-simulator", bitrix24, env)
        for name, port, cmd in SERVICES:
            start(name, cmd, env)
            wait_ready(name, port, children[-1][1])
            say(f"{name} ready on :{port}")
        first_sync()
        banner()
        while all(proc.poll() is None for _, proc in children):
            time.sleep(1)
        dead = [name for name, proc in children if proc.poll() is not None]
        say(f"stopping: {', '.join(dead)} exited; see {LOGS}")
    except KeyboardInterrupt:
        say("Ctrl-C: stopping")
    finally:
        stop_all(infra_started=not infra_was_up)


if __name__ == "__main__":
    main()

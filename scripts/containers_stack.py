"""The compose stack of docker-compose.yml run with plain podman on the host's infrastructure (scripts/containers.sh).

Every application service of the default and `demo` profiles runs from its image with the settings docker-compose.yml
gives it (environment, command, entry point, read-only root, tmpfs, dropped capabilities, no-new-privileges, the
healthcheck), in dependency order: topics and migrations to completion, then each service until its healthcheck passes.
Kafka, PostgreSQL and Redis are the host's (scripts/infra/infra.sh): no image of them can be pulled here, and the host
ones are already running for the test suite. So the containers share the host's network (the host Kafka advertises
127.0.0.1) and the compose host names are rewritten to 127.0.0.1 and the ports below (+ CTR_PORT_OFFSET).

    python scripts/containers_stack.py up|down|status|check|e2e|kube|ci
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".local" / "containers"
PREFIX = os.environ.get("CTR_PREFIX", "crm-ctr")
OFFSET = int(os.environ.get("CTR_PORT_OFFSET", "0"))
PROFILES = {"demo"}  # besides the default profile
INFRA = {"kafka", "postgres", "redis"}
PORTS = {  # compose service -> the port it listens on (docker-compose.yml, deploy/k8s)
    "gateway": 8000,
    "auth": 8001,
    "catalog": 8002,
    "inventory": 8003,
    "analytics": 8004,
    "moysklad-connector": 8005,
    "bitrix24-connector": 8006,
    "moysklad-simulator": 8090,
}
PORT_VARIABLES = {  # how each service is told its port (Settings of each service)
    "gateway": "GATEWAY_PORT",
    "auth": "AUTH_PORT",
    "catalog": "CATALOG_PORT",
    "inventory": "INVENTORY_PORT",
    "analytics": "ANALYTICS_PORT",
    "moysklad-connector": "CONNECTOR_PORT",
    "bitrix24-connector": "BITRIX24_CONNECTOR_PORT",
}
DATABASE = os.environ.get("CTR_DATABASE", "crm_stack")
REDIS_DB = os.environ.get("CTR_REDIS_DB", "9")
READY_TIMEOUT = float(os.environ.get("CTR_READY_TIMEOUT", "180"))


def say(message: str) -> None:
    print(f"containers: {message}", file=sys.stderr, flush=True)


def podman(*args: str, check: bool = True, capture: bool = True, timeout: float = 300) -> str:
    result = subprocess.run(["podman", *args], capture_output=capture, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"podman {' '.join(args[:3])} … failed ({result.returncode}): {result.stderr or ''}")
    return result.stdout or ""


def host_port(service: str) -> int:
    return PORTS[service] + OFFSET


def infra() -> dict[str, str]:
    """Host and port of each host infrastructure server, from scripts/infra/infra.sh's settings."""
    return {
        "kafka": f"127.0.0.1:{os.environ.get('INFRA_KAFKA_PORT', '9092')}",
        "postgres": f"127.0.0.1:{os.environ.get('INFRA_PG_PORT', '5432')}",
        "redis": f"127.0.0.1:{os.environ.get('INFRA_REDIS_PORT', '6379')}",
    }


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR-default}."""
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        current = env.get(name)
        if op == ":-":
            return current if current else default
        if op == "-":
            return current if current is not None else default
        return current or ""

    return re.sub(r"\$\{(\w+)(?:(:?-)([^}]*))?\}", one, value)


def rewrite(value: str, database: str = DATABASE, redis_db: str = REDIS_DB) -> str:
    """Compose and in-cluster host names -> the host's addresses (the containers share the host network), the
    services' ports shifted by CTR_PORT_OFFSET."""
    where = infra()
    value = re.sub(r"@postgres:5432/\w+", f"@{where['postgres']}/{database}", value)
    value = value.replace("redis://redis:6379/0", f"redis://{where['redis']}/{redis_db}")
    value = re.sub(r"(?<![\w.-])kafka:9092", where["kafka"], value)
    for service, port in PORTS.items():
        value = re.sub(rf"(?<![\w.-]){re.escape(service)}:{port}\b", f"127.0.0.1:{host_port(service)}", value)
        value = value.replace(f"127.0.0.1:{port}/", f"127.0.0.1:{host_port(service)}/")
    return value


def load() -> dict[str, dict[str, Any]]:
    """The application services of docker-compose.yml, interpolated and rewritten for the host network."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {**os.environ, "KAFKA_TOPIC_PREFIX": topic_prefix()}
    env.setdefault("SIMULATOR_SCALE", "tiny")  # compose's default `demo` shop takes minutes to sync
    services: dict[str, dict[str, Any]] = {}
    for name, spec in compose["services"].items():
        if name in INFRA or "build" not in spec:
            continue
        if spec.get("profiles") and not set(spec["profiles"]) & PROFILES:
            continue
        spec = {k: interpolate(v, env) for k, v in spec.items()}
        environment = {k: rewrite(str(interpolate(v, env))) for k, v in (spec.get("environment") or {}).items()}
        environment["HTTP_HOST"] = "127.0.0.1"  # host network: never listen beyond loopback
        if name in PORT_VARIABLES:
            environment[PORT_VARIABLES[name]] = str(host_port(name))
        spec["environment"] = environment
        command = [rewrite(str(c)) for c in spec.get("command") or []]
        if name == "moysklad-simulator":
            command = [str(host_port(name)) if c == "8090" else ("127.0.0.1" if c == "0.0.0.0" else c) for c in command]
        spec["command"] = command
        if "healthcheck" in spec:
            spec["healthcheck"] = {
                **spec["healthcheck"],
                "test": [rewrite(str(t)) for t in spec["healthcheck"]["test"]],
            }
        spec["depends_on"] = [d for d in (spec.get("depends_on") or {}) if d not in INFRA]
        services[name] = spec
    return services


def topic_prefix() -> str:
    saved = STATE / "topic-prefix"
    if saved.exists():
        return saved.read_text().strip()
    prefix = f"{PREFIX}.{int(time.time())}."
    STATE.mkdir(parents=True, exist_ok=True)
    saved.write_text(prefix)
    return prefix


def container(name: str) -> str:
    return f"{PREFIX}-{name}"


def run_args(name: str, spec: dict[str, Any], *, detach: bool) -> list[str]:
    args = ["run", "--name", container(name), "--network=host", "--label", f"crm-ctr-stack={PREFIX}"]
    args += ["-d"] if detach else []
    if spec.get("read_only"):
        args.append("--read-only")
    for tmpfs in spec.get("tmpfs") or []:
        args += ["--tmpfs", tmpfs]
    for cap in spec.get("cap_drop") or []:
        args += ["--cap-drop", cap]
    for option in spec.get("security_opt") or []:
        args += ["--security-opt", option.replace("no-new-privileges:true", "no-new-privileges")]
    # no systemd here to drive podman's healthcheck timers: this script runs the compose healthcheck itself
    args.append("--no-healthcheck")
    env_file = STATE / f"{name}.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in spec["environment"].items()))
    args += ["--env-file", str(env_file)]
    entrypoint = spec.get("entrypoint")
    if entrypoint is not None:
        args += ["--entrypoint", json.dumps(entrypoint) if entrypoint else '""']
    return [*args, spec["image"], *spec["command"]]


def order(services: dict[str, dict[str, Any]]) -> list[str]:
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for dep in services[name]["depends_on"]:
            visit(dep)
        done.append(name)

    # the simulator (demo profile) first: the connector syncs from it as soon as it is up
    for name in sorted(services, key=lambda n: not services[n].get("profiles")):
        visit(name)
    return done


def healthy(name: str, spec: dict[str, Any]) -> bool:
    test = spec["healthcheck"]["test"]
    argv = ["sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
    return subprocess.run(["podman", "exec", container(name), *argv], capture_output=True, check=False).returncode == 0


def logs(name: str, lines: int = 40) -> str:
    return podman("logs", "--tail", str(lines), container(name), check=False)


def prepare_infra() -> None:
    """A fresh database with the per-service roles (deploy/compose/postgres), an empty Redis database."""
    host, port = infra()["postgres"].split(":")
    env = {**os.environ, "PGHOST": host, "PGPORT": port, "PGUSER": "crm", "PGPASSWORD": "crm", "PGDATABASE": "crm"}
    for sql in (f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"'):
        subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, check=True)
    roles_env = {**env, "POSTGRES_USER": "crm", "POSTGRES_DB": DATABASE}
    compose_env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["postgres"]["environment"]
    roles_env.update({k: interpolate(str(v), {**os.environ}) for k, v in compose_env.items() if k.endswith("PASSWORD")})
    # The compose postgres runs the script as a superuser; the host's `crm` may create roles but must be a member of
    # one to give it a schema: create the service roles first (this stack's passwords) and join them.
    sql = (
        "SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')"
        " \\gexec\nSELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \\gexec\n"
        "SELECT format('GRANT %I TO crm', :'role') \\gexec\n"
    )
    for role in ("auth", "catalog", "inventory", "analytics", "connector", "bitrix24"):
        password = roles_env[f"POSTGRES_{role.upper()}_PASSWORD"]
        argv = ["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-v", f"role={role}_svc", "-v", f"password={password}"]
        subprocess.run(argv, input=sql, text=True, env=env, check=True)
    script = ROOT / "deploy" / "compose" / "postgres" / "10-service-roles.sh"
    result = subprocess.run(["bash", str(script)], env=roles_env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{script.name} failed:\n{result.stdout}{result.stderr}")
    redis_host, redis_port = infra()["redis"].split(":")
    subprocess.run(
        ["redis-cli", "-h", redis_host, "-p", redis_port, "-n", REDIS_DB, "flushdb"], check=True, capture_output=True
    )


def up() -> dict[str, float]:
    """Start the stack in dependency order; return each long-running service's cold start (run -> healthy), s."""
    down(quiet=True)
    (STATE / "topic-prefix").unlink(missing_ok=True)
    prepare_infra()
    services = load()
    started: dict[str, float] = {}
    # one-shot jobs (topics, migrations) depend on infrastructure only: all at once, as compose starts them
    one_shots = [n for n in order(services) if services[n].get("restart") == "no"]
    assert all(not services[n]["depends_on"] for n in one_shots), "a one-shot job waits for another service"
    t0 = time.monotonic()
    running = {
        n: subprocess.Popen(
            ["podman", *run_args(n, services[n], detach=False)],
            stdout=subprocess.PIPE,
            text=True,
            stderr=subprocess.STDOUT,
        )
        for n in one_shots
    }
    for name, popen in running.items():
        out, _ = popen.communicate(timeout=600)
        if popen.returncode != 0:
            raise SystemExit(f"{name} exited {popen.returncode}:\n{out[-3000:]}")
        say(f"{name:<28} completed   {time.monotonic() - t0:6.1f}s")
    for name in order(services):
        spec = services[name]
        if name in one_shots:
            continue
        t0 = time.monotonic()
        podman(*run_args(name, spec, detach=True))
        deadline = t0 + READY_TIMEOUT
        while not healthy(name, spec):
            state = podman("inspect", "--format", "{{.State.Status}}", container(name), check=False).strip()
            if state not in ("running", "created", "configured") or time.monotonic() > deadline:
                raise SystemExit(f"{name} not healthy ({state}) after {time.monotonic() - t0:.0f}s:\n{logs(name)}")
            time.sleep(0.25)
        started[name] = time.monotonic() - t0
        say(f"{name:<28} healthy     {started[name]:6.1f}s (container start -> healthcheck passes)")
    (STATE / "cold-start.json").write_text(json.dumps(started, indent=1))
    say(
        f"stack up: gateway on http://127.0.0.1:{host_port('gateway')}, simulator on "
        f"http://127.0.0.1:{host_port('moysklad-simulator')}"
    )
    return started


def ours() -> list[str]:
    out = podman("ps", "-a", "--filter", f"label=crm-ctr-stack={PREFIX}", "--format", "{{.Names}}", check=False)
    return out.split()


def down(quiet: bool = False) -> None:
    names = ours()
    if names:
        podman("rm", "-f", "-t", "10", *names, check=False)
    if not quiet:
        say(f"removed {len(names)} containers")


def status() -> None:
    services = load()
    for name, spec in services.items():
        state = podman("inspect", "--format", "{{.State.Status}}", container(name), check=False).strip() or "absent"
        health = (
            ("healthy" if healthy(name, spec) else "unhealthy") if "healthcheck" in spec and state == "running" else ""
        )
        print(f"{container(name):<40} {state:<10} {health}")


def check() -> list[str]:
    """Every running container: a non-root uid, and a read-only root filesystem where docker-compose.yml and the
    Kubernetes manifests (deploy/k8s/base/*/deployment.yaml) ask for one."""
    services = load()
    k8s = k8s_security()
    problems: list[str] = []
    for name, spec in services.items():
        if spec.get("restart") == "no":
            continue
        ctr = container(name)
        uid = podman("exec", ctr, "python", "-c", "import os; print(os.getuid(), os.getgid())", check=False).split()
        if not uid or uid[0] == "0":
            problems.append(f"{name}: runs as uid {uid or '?'}")
        wanted = k8s.get(name, {})
        if wanted.get("runAsUser") is not None and uid and int(uid[0]) != wanted["runAsUser"]:
            problems.append(f"{name}: uid {uid[0]}, the manifest says runAsUser {wanted['runAsUser']}")
        read_only = spec.get("read_only") or wanted.get("readOnlyRootFilesystem")
        flag = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", ctr, check=False).strip()
        write = subprocess.run(
            ["podman", "exec", ctr, "python", "-c", "open('/app/.probe', 'w')"], capture_output=True, check=False
        ).returncode
        tmp = subprocess.run(
            ["podman", "exec", ctr, "python", "-c", "open('/tmp/.probe', 'w')"], capture_output=True, check=False
        ).returncode
        if read_only and (flag != "true" or write == 0):
            problems.append(f"{name}: root filesystem is writable (ReadonlyRootfs={flag})")
        if tmp != 0:
            problems.append(f"{name}: /tmp is not writable")
        caps = podman("inspect", "--format", "{{.EffectiveCaps}}", ctr, check=False).strip()
        if "drop" in str(wanted.get("capabilities", "")) and caps not in ("[]", ""):
            problems.append(f"{name}: capabilities {caps}")
        print(
            f"{ctr:<40} uid/gid {'/'.join(uid):<12} read-only root {flag:<5} "
            f"(compose {bool(spec.get('read_only'))}, k8s {wanted.get('readOnlyRootFilesystem', '-')}) caps {caps}"
        )
    for problem in problems:
        print(f"FAIL {problem}")
    return problems


def k8s_security() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in (ROOT / "deploy" / "k8s" / "base").glob("*/deployment.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "Deployment":
                continue
            pod = doc["spec"]["template"]["spec"]
            for c in pod["containers"]:
                ctx = {**(pod.get("securityContext") or {}), **(c.get("securityContext") or {})}
                out[path.parent.name] = {**ctx, "capabilities": ctx.get("capabilities", {}).get("drop", [])}
    return out


def smoke() -> None:
    """Through the stack's gateway: log in as the seeded admin, then wait until the connector's sync from the
    simulator has put products into catalog."""
    gateway = f"http://127.0.0.1:{host_port('gateway')}"
    admin = {
        "email": os.environ.get("AUTH_ADMIN_EMAIL", "admin@example.com"),
        "password": os.environ.get("AUTH_ADMIN_PASSWORD", "admin123"),
    }
    response = httpx.post(f"{gateway}/api/v1/auth/login", json=admin, timeout=30)
    response.raise_for_status()
    headers = {"authorization": f"Bearer {response.json()['access_token']}"}
    deadline = time.monotonic() + 240
    total = 0
    while time.monotonic() < deadline:
        response = httpx.get(f"{gateway}/api/v1/products/", params={"limit": 1}, headers=headers, timeout=30)
        response.raise_for_status()
        total = response.json()["total"]
        if total:
            break
        time.sleep(2)
    if not total:
        raise SystemExit("no products reached the gateway from the simulator within 240 s")
    say(f"smoke: login through the gateway, {total} products synced from the simulator")


def e2e() -> int:
    """The walking-skeleton and oracle e2e tests, every service and the simulator started from its image."""
    env = {
        **os.environ,
        "E2E_CONTAINERS": f"{os.environ.get('IMAGE_REGISTRY', 'crm')}:{os.environ.get('IMAGE_TAG', 'dev')}",
        "E2E_CONTAINER_PREFIX": f"{PREFIX}-e2e",
    }
    argv = [sys.executable, "scripts/run_tests.py", "tests-e2e/test_walking_skeleton.py", "tests-e2e/test_oracle.py"]
    return subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode


# ------------------------------------------------------------------------------------------- Kubernetes manifests

KUBE_INFRA = {"kafka", "postgres", "redis"}
NOT_PLAYED = {  # kind -> why podman cannot run it (no cluster behind `podman kube play`)
    "Namespace": "podman has no namespaces; every object is played into the one podman host",
    "Service": "no kube-proxy or cluster DNS; selectors and target ports are checked against the played pods, and "
    "the pods reach each other on the host network",
    "Ingress": "no ingress controller; its backend Service is checked to exist",
    "NetworkPolicy": "no CNI that enforces policies (podman's netavark has none)",
    "HorizontalPodAutoscaler": "no metrics server or autoscaler; its target Deployment is checked to exist",
    "PodDisruptionBudget": "no eviction API; its selector is checked to match a played Deployment",
    "StatefulSet": "apache/kafka, postgres and redis images cannot be pulled here: the host's servers "
    "(scripts/infra/infra.sh) stand in for them",
}


def kubectl() -> str:
    for candidate in (os.environ.get("KUBECTL", ""), str(ROOT / ".local/deploy-tools/venv/bin/kubectl"), "kubectl"):
        if candidate and subprocess.run(["sh", "-c", f"command -v '{candidate}'"], capture_output=True).returncode == 0:
            return candidate
    out = subprocess.run(
        ["bash", str(ROOT / "deploy/tools/install.sh"), "--env"], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"export PATH='([^':]+)", out)[0] + "/kubectl"


def remove_kube_pods() -> None:
    """Remove every pod an earlier play left (``podman kube down <file>`` gives up at the first pod of a file it does
    not find, so a run that stopped half-way could leave the rest, and the next play then fails on their names)."""
    names = podman("pod", "ls", "--format", "{{.Name}}", check=False).split()
    leftovers = [name for name in names if name.startswith(f"{PREFIX}-k8s-")]
    if leftovers:
        podman("pod", "rm", "--force", *leftovers, check=False)


def kube() -> int:
    """The rendered `dev` overlay played with `podman kube play`: Jobs (topics, migrations) as Pods run to completion,
    then every Deployment with its ConfigMap and Secrets (podman secrets), probes polled, security context checked."""
    t_start = time.monotonic()
    remove_kube_pods()
    rendered = subprocess.run(
        [kubectl(), "kustomize", str(ROOT / "deploy/k8s/overlays/dev")], capture_output=True, text=True, check=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    work = STATE / "kube"
    work.mkdir(parents=True, exist_ok=True)
    database = "crm_kube"
    prefix = f"{PREFIX}.kube.{int(time.time())}."
    host, port = infra()["postgres"].split(":")
    pg = {**os.environ, "PGHOST": host, "PGPORT": port, "PGUSER": "crm", "PGPASSWORD": "crm", "PGDATABASE": "crm"}
    for sql in (f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'):
        subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c", sql], env=pg, check=True)
    report: list[tuple[str, str, str]] = []
    problems: list[str] = []
    secret_names: dict[str, str] = {}
    configmaps: list[dict[str, Any]] = []
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "ConfigMap":
            data = {k: rewrite(str(v), database, "10") for k, v in (doc.get("data") or {}).items()}
            data["HTTP_HOST"] = "127.0.0.1"  # host network: loopback only
            data["KAFKA_TOPIC_PREFIX"] = prefix
            data["MOYSKLAD_BASE_URL"] = "http://127.0.0.1:9/api/remap/1.2"  # no MoySklad here; probes do not need it
            configmaps.append({**doc, "data": data})
            report.append((kind, name, "played (envFrom of every pod)"))
        elif kind == "Secret":
            import base64

            values = {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
            values.update(doc.get("stringData") or {})
            values = {k: rewrite(v, database, "10") for k, v in values.items()}
            secret_names[name] = f"{PREFIX}-{name}"
            path = work / f"{name}.json"
            # podman 4 reads a Secret's data map (base64 values) from a podman secret of the same name
            path.write_text(json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in values.items()}))
            podman("secret", "rm", secret_names[name], check=False)
            podman("secret", "create", secret_names[name], str(path))
            report.append((kind, name, "played (podman secret)"))

    def pod_spec(spec: dict[str, Any]) -> dict[str, Any]:
        spec = json.loads(json.dumps(spec))
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            for source in c.get("envFrom") or []:
                if "secretRef" in source:
                    source["secretRef"]["name"] = secret_names[source["secretRef"]["name"]]
            for var in c.get("env") or []:
                ref = (var.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    ref["name"] = secret_names[ref["name"]]
        return spec

    def play(name: str, objects: list[dict[str, Any]]) -> None:
        path = work / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
        subprocess.run(["podman", "kube", "down", str(path)], capture_output=True, check=False)
        result = subprocess.run(
            ["podman", "kube", "play", "--network", "host", str(path)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"podman kube play {path.name} failed:\n{result.stdout}{result.stderr}")

    def wait_exit(ctr: str, timeout: float = 300) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", ctr, check=False).split()
            if status and status[0] in ("exited", "stopped"):
                return int(status[1])
            time.sleep(1)
        return -1

    jobs = [d for d in docs if d["kind"] == "Job"]
    # topics first, then the migrations (independent schemas) all at once, as `kubectl apply` would start them
    waves = [
        [j for j in jobs if j["metadata"]["name"] == "topics"],
        [j for j in jobs if j["metadata"]["name"] != "topics"],
    ]
    try:
        for wave in waves:
            pods: list[dict[str, Any]] = []
            for job in wave:
                spec = pod_spec(job["spec"]["template"]["spec"])
                spec["restartPolicy"] = "Never"
                pods.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {"name": f"{PREFIX}-k8s-{job['metadata']['name']}"},
                        "spec": spec,
                    }
                )
            t0 = time.monotonic()
            play(f"{PREFIX}-k8s-jobs-{len(pods)}-{wave[0]['metadata']['name']}", [*configmaps, *pods])
            for job, pod in zip(wave, pods, strict=True):
                ctr = f"{pod['metadata']['name']}-{pod['spec']['containers'][0]['name']}"
                code = wait_exit(ctr)
                report.append(
                    (
                        "Job",
                        job["metadata"]["name"],
                        f"played as a Pod, exit {code} {time.monotonic() - t0:.0f}s after play",
                    )
                )
                if code != 0:
                    job_logs = podman("logs", "--tail", "30", ctr, check=False)
                    problems.append(f"Job {job['metadata']['name']}: exit {code}\n{job_logs}")
        deployments = [d for d in docs if d["kind"] == "Deployment"]
        played: dict[str, tuple[str, dict[str, Any]]] = {}
        for deployment in deployments:
            name = deployment["metadata"]["name"]
            obj = json.loads(json.dumps(deployment))
            obj["metadata"] = {"name": f"{PREFIX}-k8s-{name}", "labels": deployment["metadata"].get("labels", {})}
            obj["spec"]["replicas"] = 1
            obj["spec"]["template"]["spec"] = spec = pod_spec(obj["spec"]["template"]["spec"])
            for c in spec["containers"]:
                # host network: podman refuses port mappings there, so the ports go and the probes name numbers
                ports = {
                    p.get("name", str(p["containerPort"])): p["containerPort"] + OFFSET for p in c.pop("ports", [])
                }
                for probe_kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                    probe = (c.get(probe_kind) or {}).get("httpGet")
                    if probe:
                        probe["port"] = ports.get(str(probe["port"]), probe["port"])
                if name in PORT_VARIABLES:
                    c.setdefault("env", []).append({"name": PORT_VARIABLES[name], "value": str(host_port(name))})
            play(obj["metadata"]["name"], [*configmaps, obj])
            played[name] = (f"{obj['metadata']['name']}-pod-0-{spec['containers'][0]['name']}", spec)
        security = k8s_security()
        for name, (ctr, spec) in played.items():
            c = spec["containers"][0]
            answered: list[str] = []
            for probe_kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = (c.get(probe_kind) or {}).get("httpGet")
                if not probe:
                    continue
                url = f"http://127.0.0.1:{probe['port']}{probe['path']}"
                deadline = time.monotonic() + 180
                while True:
                    try:
                        if httpx.get(url, timeout=3).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        problems.append(
                            f"Deployment {name}: {probe_kind} {url} never answered 200\n"
                            f"{podman('logs', '--tail', '30', ctr, check=False)}"
                        )
                        break
                    time.sleep(0.5)
                answered.append(f"{probe_kind.removesuffix('Probe')} {probe['path']}")
            uid = podman("exec", ctr, "python", "-c", "import os; print(os.getuid())", check=False).strip()
            read_only = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", ctr, check=False).strip()
            wanted = security.get(name, {})
            if uid in ("", "0") or (wanted.get("readOnlyRootFilesystem") and read_only != "true"):
                problems.append(f"Deployment {name}: uid {uid or '?'}, read-only root {read_only}")
            report.append(
                (
                    "Deployment",
                    name,
                    f"played, probes answered ({', '.join(answered)}); uid {uid}, read-only root {read_only}",
                )
            )
        selectors = {name: spec for name, (_, spec) in played.items()}
        labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"].get("labels", {}) for d in deployments}
        container_ports = {
            d["metadata"]["name"]: {
                str(v)
                for c in d["spec"]["template"]["spec"]["containers"]
                for p in c.get("ports", [])
                for v in p.values()
            }
            for d in deployments
        }
        for doc in docs:
            kind, name = doc["kind"], doc["metadata"]["name"]
            if kind in ("ConfigMap", "Secret", "Job", "Deployment"):
                continue
            reason = NOT_PLAYED.get(kind, "not supported by podman kube play")
            if kind in ("Service", "PodDisruptionBudget"):
                selector = doc["spec"].get("selector") or {}
                selector = selector.get("matchLabels", selector)
                matches = [d for d, lab in labels.items() if all(lab.get(k) == v for k, v in selector.items())]
                infra_selected = set(selector.values()) & KUBE_INFRA
                if not matches and not infra_selected:
                    problems.append(f"{kind} {name}: selector {selector} matches no Deployment")
                for port in doc["spec"].get("ports", []) if kind == "Service" and matches else []:
                    target = str(port.get("targetPort", port["port"]))
                    if not any(target in container_ports[m] for m in matches):
                        problems.append(f"Service {name}: targetPort {target} is no port of {matches}")
                if kind == "Service" and infra_selected:
                    reason = NOT_PLAYED["StatefulSet"]
            if kind == "Ingress":
                services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
                for rule in doc["spec"].get("rules", []):
                    for path in rule.get("http", {}).get("paths", []):
                        backend = path["backend"]["service"]["name"]
                        if backend not in services:
                            problems.append(f"Ingress {name}: backend Service {backend} does not exist")
            if kind == "HorizontalPodAutoscaler" and doc["spec"]["scaleTargetRef"]["name"] not in selectors:
                problems.append(f"HPA {name}: target {doc['spec']['scaleTargetRef']['name']} not played")
            report.append((kind, name, f"not played: {reason}"))
    finally:
        for path in work.glob("*.yaml"):
            subprocess.run(["podman", "kube", "down", str(path)], capture_output=True, check=False)
        remove_kube_pods()
        for secret in secret_names.values():
            podman("secret", "rm", secret, check=False)
        subprocess.run(
            ["psql", "-qX", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'],
            env=pg,
            capture_output=True,
            check=False,
        )
    print("\nKubernetes dev overlay under podman kube play:")
    for kind, name, outcome in report:
        print(f"  {kind:<24} {name:<34} {outcome}")
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"kube: {time.monotonic() - t_start:.0f}s")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    STATE.mkdir(parents=True, exist_ok=True)
    if command == "up":
        up()
    elif command == "down":
        down()
    elif command == "status":
        status()
    elif command == "check":
        return 1 if check() else 0
    elif command == "smoke":
        smoke()
    elif command == "e2e":
        return e2e()
    elif command == "kube":
        return kube()
    elif command == "ci":
        rc = 0
        try:
            started = up()
            rc |= 1 if check() else 0
            smoke()
            print("\ncold start (container start -> healthcheck passes), host network, host infra:")
            for name, seconds in started.items():
                print(f"  {name:<24} {seconds:6.1f} s")
        finally:
            down()
        rc |= e2e()
        rc |= kube()
        return rc
    else:
        raise SystemExit(f"unknown command {command}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The gateway's serving options side by side, in one run, each against the same trivial upstream called directly.

    uv run python bench/gateway_options.py [--seconds 5] [--concurrency 32] [--rounds 2] [--only NAME ...]
        [--before GIT_REF]

Options (one gateway process tree at a time, all in front of one trivial upstream, the stand-in of
bench/gateway_throughput.py: a FastAPI app under uvicorn answering a constant JSON body):

- ``uvicorn x1``: ``crm-gateway serve`` as deployed (one process, uvloop and httptools, the proxy fast path);
- ``uvicorn x2``: the same with ``--workers 2`` (two processes sharing the port);
- ``uvicorn x1 asyncio+h11``: the same app under uvicorn with the standard loop and the pure-Python HTTP parser;
- ``uvicorn x1 no fast path``: ``GATEWAY_PROXY_FAST_PATH=false``, proxied requests through FastAPI's router and
  endpoint machinery (proxy/fastpath.py says what the fast path skips);
- ``granian x1`` and ``granian x2``: the same app factory under granian (Rust HTTP server, ASGI interface, uvloop),
  when granian can be started (``--granian`` names the command; by default ``uv run --with granian==2.8.7``);
- with ``--before GIT_REF``, ``uvicorn x1 as of GIT_REF`` first: the gateway's and crm-common's sources as of that
  commit (bench/before_ref.py) served the same way, so a change is measured against what it replaces in one run.

Each option is measured right after the upstream is measured directly, so each ratio compares two loads a few
seconds apart on this shared machine; ``--rounds`` repeats the whole series and the best round of each option is
kept (noise only ever slows a run down). Prints req/s, p50/p95, the gateway's CPU per request, the ratio to the
direct upstream and the added p50, and BENCH lines for bench/run_all.py. Side check (exit non-zero): no non-2xx
answer, and every option answers the upstream's body. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from before_ref import before_path, unpack  # bench/ is on sys.path
from gateway_throughput import TRIVIAL_PATH, UPSTREAM_CODE
from http_load import finish, load, load_arguments, make_token, stop, wait_live

from crm_testing import free_port

FACTORY = "gateway_service.app:app_factory"


@dataclass(frozen=True)
class Option:
    name: str
    argv: list[str]  # {port} is replaced
    env: dict[str, str]


def options(granian: list[str]) -> list[Option]:
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", FACTORY, "--host", "127.0.0.1", "--port", "{port}"]
    quiet = ["--log-level", "warning", "--no-access-log"]
    granian_args = ["--interface", "asgi", "--factory", FACTORY, "--host", "127.0.0.1", "--port", "{port}"]
    granian_args += ["--loop", "uvloop", "--no-ws", "--log-level", "warning", "--no-access-log"]
    return [
        Option("uvicorn x1", ["crm-gateway", "serve", "--port", "{port}", "--workers", "1"], {}),
        Option("uvicorn x2", ["crm-gateway", "serve", "--port", "{port}", "--workers", "2"], {}),
        Option("uvicorn x1 asyncio+h11", [*uvicorn, "--loop", "asyncio", "--http", "h11", *quiet], {}),
        Option(
            "uvicorn x1 no fast path",
            ["crm-gateway", "serve", "--port", "{port}", "--workers", "1"],
            {"GATEWAY_PROXY_FAST_PATH": "false"},
        ),
        Option("granian x1", [*granian, *granian_args, "--workers", "1"], {}),
        Option("granian x2", [*granian, *granian_args, "--workers", "2"], {}),
    ]


def body(port: int, token: str) -> bytes:
    answer = httpx.get(f"http://127.0.0.1:{port}{TRIVIAL_PATH}", headers={"authorization": f"Bearer {token}"})
    if answer.status_code != 200:
        raise SystemExit(f"side check failed: {answer.status_code} from port {port}: {answer.text[:200]}")
    return answer.content


def measure(option: Option, env: dict[str, str], up: subprocess.Popen[bytes], up_port: int, token: str, args: Any):  # type: ignore[no-untyped-def]
    """(direct, through) load figures, or None if the option could not be started."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in option.argv]
    gateway = subprocess.Popen(argv, env={**env, **option.env})
    try:
        try:
            wait_live(port, "/health/live", timeout=60)
        except RuntimeError:
            print(f"{option.name}: did not start ({shlex.join(argv)})", flush=True)
            return None
        if body(port, token) != body(up_port, token):
            raise SystemExit(f"side check failed: {option.name} answers another body than the upstream")
        direct = asyncio.run(load(up_port, token, args.seconds, args.concurrency, TRIVIAL_PATH, {"service": up.pid}))
        watch = {"gateway": gateway.pid, "service": up.pid}
        spy = None
        if args.py_spy:  # sample the gateway (and its workers) while it serves the load
            out_file = Path(args.py_spy) / f"gateway-{option.name.replace(' ', '-')}.txt"
            argv = ["py-spy", "record", "--format", "raw", "--nonblocking", "--subprocesses", "-r", "200"]
            argv += ["-o", str(out_file), "-d", str(int(args.seconds + 1)), "--pid", str(gateway.pid)]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        through = asyncio.run(load(port, token, args.seconds, args.concurrency, TRIVIAL_PATH, watch))
        if spy is not None:
            spy.wait()
        return direct, through
    finally:
        stop([gateway])


def report(best: dict[str, tuple[dict[str, float], dict[str, float]]], args: Any) -> None:
    print(f"\nconcurrency={args.concurrency} seconds={args.seconds} rounds={args.rounds} (best round of each)")
    heads = ("req/s", "direct", "ratio", "p50 ms", "+p50 ms", "p95 ms", "CPU ms")
    print(f"{'option':24} " + " ".join(f"{h:>8}" for h in heads))
    lines = []
    for name, (direct, through) in best.items():
        ratio = through["rps"] / direct["rps"]
        added = through["p50_ms"] - direct["p50_ms"]
        print(
            f"{name:24} {through['rps']:8.0f} {direct['rps']:8.0f} {ratio:8.2f} {through['p50_ms']:8.2f} "
            f"{added:8.2f} {through['p95_ms']:8.2f} {through['cpu_ms_gateway']:8.3f}"
        )
        figure = {
            "name": f"gateway {name} req/s (+p50 {added:.2f} ms, {through['cpu_ms_gateway']:.3f} ms CPU/req)",
            "value": through["rps"],
            "unit": "req/s",
            "baseline": direct["rps"],
            "baseline_name": "trivial upstream called directly",
        }
        lines.append("BENCH " + json.dumps(figure, ensure_ascii=False))
    finish(lines, {n: t["errors"] for n, pair in best.items() for t in pair if t["errors"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_arguments(parser)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--granian", default="uv run --with granian==2.8.7 granian", help="how to start granian")
    parser.add_argument("--only", nargs="*", help="option names, e.g. 'uvicorn x2'")
    parser.add_argument("--py-spy", metavar="DIR", help="record each gateway under the load with py-spy into DIR")
    parser.add_argument("--before", metavar="GIT_REF", help="add 'uvicorn x1' as of that commit (before/after)")
    args = parser.parse_args()
    chosen = [o for o in options(shlex.split(args.granian)) if not args.only or o.name in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            unpack(args.before, Path(tmp) / "before", ["gateway"])
            pythonpath = before_path({}, Path(tmp) / "before", ["gateway"])
            serve = ["crm-gateway", "serve", "--port", "{port}", "--workers", "1"]
            chosen.insert(0, Option(f"uvicorn x1 as of {args.before}", serve, pythonpath))
        jwks_path = Path(tmp) / "jwks.json"
        token = make_token(jwks_path)
        up_port = free_port()
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            "JWKS_URL": f"http://127.0.0.1:{up_port}/api/v1/auth/.well-known/jwks.json",
            "GATEWAY_CATALOG_URL": f"http://127.0.0.1:{up_port}",
            "GATEWAY_NOTIFICATIONS_ENABLED": "false",
            "GATEWAY_RATE_LIMIT_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
            "GATEWAY_RATE_LIMITS": json.dumps([{"prefix": "/api/v1", "per_user": 10**9, "per_ip": 10**9}]),
        }
        upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM_CODE, str(up_port), str(jwks_path)], env=env)
        best: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
        try:
            wait_live(up_port, "/api/v1/auth/.well-known/jwks.json")
            for _ in range(args.rounds):
                for option in chosen:
                    pair = measure(option, env, upstream, up_port, token, args)
                    if pair is None:
                        continue
                    kept = best.get(option.name)
                    if kept is None or pair[1]["rps"] / pair[0]["rps"] > kept[1]["rps"] / kept[0]["rps"]:
                        best[option.name] = pair
        finally:
            stop([upstream])
    report(best, args)


if __name__ == "__main__":
    main()

"""Requests per second and added latency through the gateway, against calling the service directly, in one run.

    uv run python bench/gateway_throughput.py [--seconds 8] [--concurrency 32] [--gateway-workers 1] [--products 300]

Two comparisons, each direct vs through the gateway with the same token and request:

1. trivial upstream: a stand-in FastAPI app answering ``GET /api/v1/products/`` with a constant JSON body (it also
   serves the JWKS). The upstream costs almost nothing, so this shows the gateway's fixed cost per request.
2. catalog: the real catalog service (``crm-catalog serve``, events consumption off) over a scratch database
   (``CREATE DATABASE``, ``crm-catalog migrate``, ``--products`` rows inserted with SQL, dropped at the end), asked
   ``GET /api/v1/products/?limit=20``: what the gateway costs in front of a service doing real work.

Each upstream has its own gateway process (``crm-gateway serve``), all on 127.0.0.1, with the real Redis and Postgres.
The load generator is a minimal keep-alive HTTP/1.1 client (so the client itself is not the bottleneck). Prints
throughput, latency percentiles and the ratios, and one ``BENCH`` line per comparison (bench/run_all.py); asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from http_load import (  # bench/ is on sys.path
    load,
    make_token,
    scratch_database,
    seed_products,
    stop,
    wait_live,
)

from crm_testing import free_port, redis_url

UPSTREAM_CODE = """
import json, sys
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

jwks = json.load(open(sys.argv[2]))
items = [{"id": str(i), "name": f"Товар {i}", "price": "199.90", "currency": "RUB"} for i in range(10)]
body = json.dumps({"items": items, "total": 10}, ensure_ascii=False).encode()
app = FastAPI()

@app.get("/api/v1/auth/.well-known/jwks.json")
async def keys():
    return jwks

@app.get("/api/v1/products/")
async def products():
    return Response(body, media_type="application/json")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            loop="uvloop", http="httptools")
"""


TRIVIAL_PATH = "/api/v1/products/"
CATALOG_PATH = "/api/v1/products/?limit=20"


@contextmanager
def catalog_database(env: dict[str, str], products: int) -> Iterator[str]:
    """A scratch database with the catalog schema and ``products`` products (with a sale price each)."""
    with scratch_database(env, ("catalog",)) as url:
        seed_products(url, products)
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--gateway-workers", type=int, default=1)
    parser.add_argument("--products", type=int, default=300, help="rows in the catalog's scratch database")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        jwks_path = Path(tmp) / "jwks.json"
        token = make_token(jwks_path)
        up_port, gw_port, cat_port, gw_cat_port = free_port(), free_port(), free_port(), free_port()
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL") or redis_url(15),
            "JWKS_URL": f"http://127.0.0.1:{up_port}/api/v1/auth/.well-known/jwks.json",
            "GATEWAY_NOTIFICATIONS_ENABLED": "false",
            "GATEWAY_RATE_LIMIT_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
            "GATEWAY_RATE_LIMITS": json.dumps([{"prefix": "/api/v1", "per_user": 10**9, "per_ip": 10**9}]),
            "CATALOG_CONSUME_EVENTS": "false",
            "CATALOG_CREATE_TOPICS": "false",
        }

        def gateway(port: int, upstream: int) -> subprocess.Popen[bytes]:
            argv = ["crm-gateway", "serve", "--port", str(port), "--workers", str(args.gateway_workers)]
            return subprocess.Popen(argv, env={**env, "GATEWAY_CATALOG_URL": f"http://127.0.0.1:{upstream}"})

        procs: list[subprocess.Popen[bytes]] = []
        try:
            procs.append(subprocess.Popen([sys.executable, "-c", UPSTREAM_CODE, str(up_port), str(jwks_path)], env=env))
            procs.append(gateway(gw_port, up_port))
            with catalog_database(env, args.products) as database_url:
                catalog_env = {**env, "DATABASE_URL": database_url, "CATALOG_PORT": str(cat_port)}
                try:
                    procs.append(subprocess.Popen(["crm-catalog", "serve"], env=catalog_env))
                    procs.append(gateway(gw_cat_port, cat_port))
                    wait_live(up_port, "/api/v1/auth/.well-known/jwks.json")
                    for port in (gw_port, cat_port, gw_cat_port):
                        wait_live(port, "/health/live")
                    upstream_proc, gateway_proc, catalog_proc, gateway_cat_proc = procs
                    for name, direct_port, gateway_port, path, service, gw in (
                        ("trivial upstream", up_port, gw_port, TRIVIAL_PATH, upstream_proc, gateway_proc),
                        ("catalog", cat_port, gw_cat_port, CATALOG_PATH, catalog_proc, gateway_cat_proc),
                    ):
                        watch = {"service": service.pid, "gateway": gw.pid}
                        direct = asyncio.run(load(direct_port, token, args.seconds, args.concurrency, path, watch))
                        through = asyncio.run(load(gateway_port, token, args.seconds, args.concurrency, path, watch))
                        results[name] = (direct, through)
                finally:
                    stop(procs)  # before the database is dropped
        finally:
            stop(procs)
    report(results, args)


def report(results: dict[str, tuple[dict[str, float], dict[str, float]]], args: argparse.Namespace) -> None:
    print(f"concurrency={args.concurrency} seconds={args.seconds} gateway_workers={args.gateway_workers}")
    failed = {
        f"{upstream} {name}": r["errors"]
        for upstream, pair in results.items()
        for name, r in zip(("direct", "gateway"), pair, strict=True)
        if r["errors"]
    }
    lines = []
    for upstream, (direct, through) in results.items():
        print(f"\n{upstream}: GET {TRIVIAL_PATH if upstream == 'trivial upstream' else CATALOG_PATH}")
        print(f"{'':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, r in (("direct", direct), ("gateway", through)):
            print(f"{name:10} {r['rps']:10.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7.0f}")
        ratio = through["rps"] / direct["rps"]
        print(
            f"throughput ratio gateway/direct: {ratio:.2f} "
            f"(gateway costs {(1 - ratio) * 100:.0f}% of direct throughput)"
        )
        added_p50 = through["p50_ms"] - direct["p50_ms"]
        added_p99 = through["p99_ms"] - direct["p99_ms"]
        print(f"added latency p50: {added_p50:.2f} ms, p99: {added_p99:.2f} ms")
        # CPU per request is far less sensitive than req/s to other load on a shared machine.
        print(
            f"CPU per request: {upstream} {direct['cpu_ms_service']:.3f} ms when called directly; through the gateway "
            f"{through['cpu_ms_gateway']:.3f} ms in the gateway + {through['cpu_ms_service']:.3f} ms in {upstream}"
        )
        bench = {
            "name": f"gateway vs {upstream}",
            "value": through["rps"],
            "unit": "req/s",
            "baseline": direct["rps"],
            "baseline_name": f"{upstream} called directly",
        }
        lines.append("BENCH " + json.dumps(bench, ensure_ascii=False))
        cpu = {
            "name": f"gateway CPU per request ({upstream})",
            "value": through["cpu_ms_gateway"],
            "unit": "ms",
            "baseline": direct["cpu_ms_service"],
            "baseline_name": f"{upstream}'s own CPU per request",
        }
        lines.append("BENCH " + json.dumps(cpu, ensure_ascii=False))
    print()
    for line in lines:
        print(line)
    if failed:  # the side check: a benchmark that counted errors as requests would measure the wrong thing
        raise SystemExit(f"side check failed: non-2xx answers during the load: {failed}")


if __name__ == "__main__":
    main()

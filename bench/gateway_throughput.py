"""Requests per second and added latency through the gateway, against calling the service directly, in one run.

    uv run python bench/gateway_throughput.py [--seconds 8] [--concurrency 32] [--gateway-workers 1]

Starts a stand-in service (a small FastAPI app answering ``GET /api/v1/products/`` with a JSON list, and the JWKS) and
the gateway (``crm-gateway serve``) in their own processes, on 127.0.0.1, with the real Redis. The load generator is a
minimal keep-alive HTTP/1.1 client (so the client itself is not the bottleneck) run against both in turn with the same
token. Prints throughput, latency percentiles and the ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_token(jwks_path: Path) -> str:
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    x = base64.urlsafe_b64encode(key.public_key().public_bytes_raw()).rstrip(b"=").decode()
    jwks_path.write_text(json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "bench"}]}))
    now = int(time.time())
    claims = {
        "iss": "crm-auth",
        "aud": "crm-api",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "sub": "bench-user",
        "sid": str(uuid.uuid4()),
        "jti": str(uuid.uuid4()),
        "permissions": ["products:read"],
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "bench"})


def wait_live(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


async def one_connection(port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def load(port: int, token: str, seconds: float, concurrency: int) -> dict[str, float]:
    request = (
        f"GET /api/v1/products/ HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {token}\r\n"
        "accept: application/json\r\n\r\n"
    ).encode()
    # Warm-up: connections, JWKS fetch, JIT-less but cache-warm paths.
    await asyncio.gather(*(one_connection(port, request, time.perf_counter() + 1.0, [], []) for _ in range(4)))
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(one_connection(port, request, stop_at, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": float(len(errors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--gateway-workers", type=int, default=1)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    with tempfile.TemporaryDirectory() as tmp:
        jwks_path = Path(tmp) / "jwks.json"
        token = make_token(jwks_path)
        up_port, gw_port = free_port(), free_port()
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            "JWKS_URL": f"http://127.0.0.1:{up_port}/api/v1/auth/.well-known/jwks.json",
            "GATEWAY_CATALOG_URL": f"http://127.0.0.1:{up_port}",
            "GATEWAY_NOTIFICATIONS_ENABLED": "false",
            "GATEWAY_RATE_LIMIT_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
            "GATEWAY_RATE_LIMITS": json.dumps([{"prefix": "/api/v1", "per_user": 10**9, "per_ip": 10**9}]),
        }
        upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM_CODE, str(up_port), str(jwks_path)], env=env)
        gateway = subprocess.Popen(
            ["crm-gateway", "serve", "--port", str(gw_port), "--workers", str(args.gateway_workers)], env=env
        )
        try:
            wait_live(up_port, "/api/v1/auth/.well-known/jwks.json")
            wait_live(gw_port, "/health/live")
            direct = asyncio.run(load(up_port, token, args.seconds, args.concurrency))
            through = asyncio.run(load(gw_port, token, args.seconds, args.concurrency))
        finally:
            for proc in (gateway, upstream):
                proc.terminate()
            for proc in (gateway, upstream):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    report(direct, through, args)


def report(direct: dict[str, float], through: dict[str, float], args: argparse.Namespace) -> None:
    print(f"concurrency={args.concurrency} seconds={args.seconds} gateway_workers={args.gateway_workers}")
    print(f"{'':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in (("direct", direct), ("gateway", through)):
        print(f"{name:10} {r['rps']:10.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7.0f}")
    ratio = through["rps"] / direct["rps"]
    print(f"throughput ratio gateway/direct: {ratio:.2f} (gateway costs {(1 - ratio) * 100:.0f}% of direct throughput)")
    added_p50 = through["p50_ms"] - direct["p50_ms"]
    added_p99 = through["p99_ms"] - direct["p99_ms"]
    print(f"added latency p50: {added_p50:.2f} ms, p99: {added_p99:.2f} ms")
    bench = {
        "name": "gateway throughput",
        "value": through["rps"],
        "unit": "req/s",
        "baseline": direct["rps"],
        "baseline_name": "service called directly",
    }
    print("BENCH " + json.dumps(bench))


if __name__ == "__main__":
    main()

"""Shared pieces of the HTTP benchmarks (bench/gateway_throughput.py, bench/read_ceiling.py): a bench token and its
JWKS, a minimal keep-alive HTTP/1.1 load generator (so the client is not the bottleneck), CPU time per process from
/proc, scratch databases, and stopping processes. Nothing here asserts about time.
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
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from crm_testing import KID, TokenMint


def make_token(jwks_path: Path, permissions: tuple[str, ...] = ("products:read",)) -> str:
    """A token signed by a fresh key (crm_testing.TokenMint), its public key written as a JWKS file."""
    mint = TokenMint()
    x = base64.urlsafe_b64encode(mint.key.public_key().public_bytes_raw()).rstrip(b"=").decode()
    jwks_path.write_text(json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": KID}]}))
    return mint.token(*permissions, ttl=3600)


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


def cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """CPU time (user + system) of a process and (by default) its live descendants, from /proc (0 where /proc is
    missing, or the process has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if not descendants:
            return total
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):  # a child started from another thread is listed under it
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return 0.0
    return total + sum(cpu_seconds(child) for child in children)


async def load(
    port: int, token: str, seconds: float, concurrency: int, path: str, watch: dict[str, int]
) -> dict[str, float]:
    """Throughput and latency; for each process in ``watch`` (name -> pid), its CPU ms per measured request."""
    request = (
        f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {token}\r\n"
        "accept: application/json\r\n\r\n"
    ).encode()
    # Warm-up: connections, JWKS fetch, JIT-less but cache-warm paths.
    await asyncio.gather(*(one_connection(port, request, time.perf_counter() + 1.0, [], []) for _ in range(4)))
    latencies: list[float] = []
    errors: list[int] = []
    cpu_before = {name: cpu_seconds(pid) for name, pid in watch.items()}
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(one_connection(port, request, stop_at, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = {
        f"cpu_ms_{name}": (cpu_seconds(pid) - cpu_before[name]) * 1000 / len(latencies) for name, pid in watch.items()
    }
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": float(len(errors)),
        **cpu,
    }


def load_arguments(parser: argparse.ArgumentParser, seconds: float = 5.0) -> None:
    """The load's own options, alike in every HTTP benchmark."""
    parser.add_argument("--seconds", type=float, default=seconds, help="of load per measured target")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")


def finish(lines: list[str], errors: dict[str, float]) -> None:
    """Print the BENCH lines; exit non-zero if any answer under load was not a 2xx (the figures would be wrong)."""
    print()
    print("\n".join(lines))
    if errors:
        raise SystemExit(f"side check failed: non-2xx answers during the load: {errors}")


def scratch_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + f"/{name}"


def execute(url: str, statement: str, *args: Any, many: list[tuple[Any, ...]] | None = None) -> None:
    """One statement on ``url`` with asyncpg, outside a transaction (CREATE/DROP DATABASE)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            database=parsed.database,
        )
        try:
            if many is not None:
                await conn.executemany(statement, many)
            else:
                await conn.execute(statement, *args)
        finally:
            await conn.close()

    asyncio.run(run())


@contextmanager
def scratch_database(env: dict[str, str], services: tuple[str, ...]) -> Iterator[str]:
    """A database of its own on the server of DATABASE_URL, migrated by each service's ``migrate``; dropped after."""
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    execute(base, f'CREATE DATABASE "{name}"')
    url = scratch_url(base, name)
    try:
        for service in services:
            subprocess.run([f"crm-{service}", "migrate"], env={**env, "DATABASE_URL": url}, check=True)
        yield url
    finally:
        drop_database(base, name)


def drop_database(base: str, name: str, *, seconds: float = 60) -> None:
    """``DROP DATABASE … WITH (FORCE)``: it ends the database's sessions, but it may not end an autovacuum worker (a
    superuser's process, which the services' role may not signal) still analysing a table the bench just filled;
    tried again once a second until that worker is done."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def seed_products(url: str, products: int) -> None:
    """Catalog products ``bench-00000``… with a sale price each."""
    ids = [f"bench-{i:05d}" for i in range(products)]
    execute(
        url,
        "INSERT INTO catalog.products (id, source, account_id, kind, name, article, updated_at, source_version)"
        " VALUES ($1, 'moysklad', 'bench', 'product', $2, $3, now(), $4)",
        many=[(pid, f"Товар {i:05d}", f"A-{i:05d}", i + 1) for i, pid in enumerate(ids)],
    )
    execute(
        url,
        "INSERT INTO catalog.product_prices (product_id, position, price_type, amount, currency)"
        " VALUES ($1, 0, 'Цена продажи', $2, 'RUB')",
        many=[(pid, Decimal(f"{100 + i}.90")) for i, pid in enumerate(ids)],
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

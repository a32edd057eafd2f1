"""``crm-gateway serve --workers 2`` as a real process: two worker processes behind one port share rate limits and
session revocation through Redis, and a worker that dies is replaced while the port keeps answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from crm_common.security.revocation import RevocationStore
from crm_testing import eventually, free_port, redis_url

PER_USER = 30


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes (the supervisor may also run multiprocessing's helper processes)."""
    pids = []
    for child in children(supervisor):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"multiprocessing.resource_tracker" not in cmdline:
            pids.append(child)
    return pids


@pytest.fixture(scope="module")
def two_workers(stack: Any) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_AUTH_URL": stack.urls["auth"],
        "GATEWAY_CATALOG_URL": stack.urls["catalog"],
        "GATEWAY_INVENTORY_URL": stack.urls["inventory"],
        "GATEWAY_ANALYTICS_URL": stack.urls["analytics"],
        "GATEWAY_CONNECTOR_URL": stack.urls["connector"],
        "JWKS_URL": stack.urls["auth"] + "/api/v1/auth/.well-known/jwks.json",
        "GATEWAY_NOTIFICATIONS_ENABLED": "false",
        "GATEWAY_RATE_LIMIT_NAMESPACE": f"test-workers-{uuid.uuid4().hex[:8]}",
        "GATEWAY_RATE_LIMITS": f'[{{"prefix": "/api/v1", "per_user": {PER_USER}}}]',
    }
    command = [str(Path(sys.executable).parent / "crm-gateway"), "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the gateway exited"
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200 and len(worker_pids(process.pid)) == 2:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "two gateway workers did not start"
            time.sleep(0.2)
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def fresh(url: str) -> httpx.AsyncClient:
    """No keep-alive: every request is a new connection, which the kernel hands to either worker."""
    return httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_keepalive_connections=0), timeout=10)


async def test_several_workers_share_the_rate_limit(two_workers: tuple[str, Any], keys: Any) -> None:
    url, process = two_workers
    assert len(worker_pids(process.pid)) == 2
    token = keys.mint(sub=f"user-{uuid.uuid4()}")
    statuses = []
    async with fresh(url) as client:
        for _ in range(PER_USER * 2):
            response = await client.get("/api/v1/products/", headers={"authorization": f"Bearer {token}"})
            statuses.append(response.status_code)
    # One budget for the user across both processes, not one per process.
    assert statuses.count(200) == PER_USER
    assert statuses.count(429) == PER_USER


async def test_a_revoked_session_is_refused_by_every_worker(two_workers: tuple[str, Any], keys: Any) -> None:
    url, _ = two_workers
    sid = str(uuid.uuid4())
    token = keys.mint(sid=sid)
    headers = {"authorization": f"Bearer {token}"}
    async with fresh(url) as client:
        before = [(await client.get("/api/v1/inventory/stock", headers=headers)).status_code for _ in range(6)]
        redis = Redis.from_url(redis_url())
        try:
            await RevocationStore(redis).revoke(sid, 60)
        finally:
            await redis.aclose()
        after = [(await client.get("/api/v1/inventory/stock", headers=headers)).status_code for _ in range(10)]
    assert before == [200] * 6
    assert after == [401] * 10


async def test_a_killed_worker_is_replaced(two_workers: tuple[str, Any], keys: Any) -> None:
    url, process = two_workers
    victim = worker_pids(process.pid)[0]
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:
        pids = worker_pids(process.pid)
        return len(pids) == 2 and victim not in pids

    # The supervisor looks at its workers one after the other and waits up to its health-check timeout (30 s, see
    # crm_common.cli.serve) for a live one to answer a ping, so on a loaded node the dead one may be seen late.
    await eventually(replaced, timeout=90)
    async with fresh(url) as client:
        token = keys.mint()
        codes = [
            (await client.get("/api/v1/products/", headers={"authorization": f"Bearer {token}"})).status_code
            for _ in range(6)
        ]
    assert codes == [200] * 6

"""The client against the simulator's own sliding window (45 units per 3 s in MoySklad; smaller here), over HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from crm_integration.http import RateGate
from moysklad_connector.client import Credentials, MoySkladClient, PacingConfig
from moysklad_simulator.testing import serve_in_thread

from ..connector_testkit import sim_settings

# 20 units per second, 4 per request: 5 requests in any second; 30 requests from 4 tasks at once, each of which ends
# up waiting for the window several times.
WINDOW = {"rate_limits_enabled": True, "rate_limit_units": 20, "rate_limit_window_ms": 1000, "weight_basic": 4}
PACING = PacingConfig(
    rate_limit_units=20,
    rate_limit_window_ms=1000,
    rate_limit_share=1.0,
    request_weight=4,
    max_parallel_requests=4,
    backoff_base_seconds=0.01,
    backoff_max_seconds=0.05,
)


async def refused_while_paging(client: MoySkladClient, base_url: str) -> int:
    async def worker() -> None:
        for _ in range(30 // 4 + 1):
            await client.get("entity/currency")

    await asyncio.gather(*(worker() for _ in range(4)))
    async with httpx.AsyncClient(timeout=10) as http:
        stats = (await http.get(f"{base_url}/__sim/stats")).json()
    return int(stats["refused"])


@pytest.mark.parametrize("latency_ms", [0, 300])
async def test_the_window_gate_is_never_refused_even_at_the_full_share(latency_ms: int) -> None:
    """Also when the server counts a request well after it was sent (here: 300 ms before its limiter sees it)."""
    with serve_in_thread(sim_settings(7, fault_latency_ms=latency_ms, **WINDOW)) as sim:
        login, password = sim.basic_auth
        async with MoySkladClient(Credentials(sim.api_url, username=login, password=password), PACING) as client:
            assert await refused_while_paging(client, sim.base_url) == 0


async def test_a_token_bucket_of_the_same_size_is_refused() -> None:
    """Why the window gate: a bucket admits a full window and then its refill within the first window."""
    with serve_in_thread(sim_settings(8, **WINDOW)) as sim:
        login, password = sim.basic_auth
        async with MoySkladClient(Credentials(sim.api_url, username=login, password=password), PACING) as client:
            client.gate = RateGate(units=20, window_ms=1000, share=1.0, max_parallel=4)
            client._http.gate = client.gate
            assert await refused_while_paging(client, sim.base_url) > 0

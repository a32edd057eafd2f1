"""What the session revocation check costs each authenticated request of a service, against the same request without it.

    uv run python bench/revocation_check.py [--requests 2000] [--rounds 6] [--tokens 50]

The app is built with the services' own factory (``create_service_app``) and one route guarded by
``require_permission``, i.e. the exact path every service's routes take: bearer token, signature check, then
``SessionCheck`` against the real Redis. Three variants answer the same request with the same tokens, in alternating
rounds within one run: without the check (the baseline; a check that always says "live"), with the check and its
default cache (``REVOCATION_CACHE_SECONDS``), and with the cache off (one Redis round trip per request). Requests go
in-process over ASGI, one at a time, so the figure is the time the service spends per request, not network or
client overhead. Prints one ``BENCH`` line per checked variant (bench/run_all.py); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx
from fastapi import APIRouter, Depends
from redis.asyncio import Redis

from crm_common.security import Permission, Principal, require_permission
from crm_common.security.revocation import session_check
from crm_common.settings import ServiceSettings
from crm_common.web.app import create_service_app
from crm_testing import TokenMint, redis_url

router = APIRouter()


@router.get("/api/v1/things")
async def things(_: Principal = Depends(require_permission(Permission.PRODUCTS_READ))) -> dict[str, int]:
    return {"total": 0}


class NoCheck:
    """The baseline: every session is taken as live without asking anyone."""

    async def ensure_live(self, principal: Principal) -> None:
        return None


async def round_time(client: httpx.AsyncClient, tokens: list[str], requests: int) -> float:
    """Mean seconds per request over ``requests`` sequential calls."""
    headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
    started = time.perf_counter()
    for i in range(requests):
        response = await client.get("/api/v1/things", headers=headers[i % len(headers)])
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}: {response.text}")
    return (time.perf_counter() - started) / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and variant")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=50, help="distinct sessions the requests cycle through")
    args = parser.parse_args()
    mint, redis = TokenMint(), Redis.from_url(redis_url())
    settings = ServiceSettings()
    app = create_service_app(service="bench", title="bench", routers=[router])
    app.state.token_verifier = mint.verifier
    variants = {
        "without the check": NoCheck(),
        f"cached ({settings.revocation_cache_seconds:g} s)": session_check(redis, settings),
        "uncached": session_check(redis, settings, cache_seconds=0),
    }
    tokens = [mint.token(str(Permission.PRODUCTS_READ), ttl=3600) for _ in range(args.tokens)]
    times: dict[str, list[float]] = {name: [] for name in variants}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for check in variants.values():  # warm-up: first-call costs and the Redis connection
                app.state.session_check = check
                await round_time(client, tokens, 200)
            for _ in range(args.rounds):
                for name, check in variants.items():
                    app.state.session_check = check
                    times[name].append(await round_time(client, tokens, args.requests))
    finally:
        await redis.aclose()
    base = statistics.median(times["without the check"]) * 1e6
    print(f"{'variant':<22} {'µs/request (median of rounds)':>30}  added")
    for name, samples in times.items():
        value = statistics.median(samples) * 1e6
        print(f"{name:<22} {value:>30.1f}  {value - base:+.1f} µs")
        if name != "without the check":
            figure = {
                "name": f"revocation check, {name}",
                "value": round(value, 1),
                "unit": "µs/req",
                "baseline": round(base, 1),
                "baseline_name": "same request without the check",
            }
            print("BENCH " + json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())

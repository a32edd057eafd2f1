"""The gateway's clients to the services: the proxy's connection pool, and a small httpx client for its own calls.

Proxied requests go through the gateway's own HTTP/1.1 client (proxy/upstream.py): measured in one process against
the same trivial upstream, aiohttp spent 136-169 µs of CPU a request and it 41-43 µs; httpx's pool had managed ~320
requests/s at 16 concurrent requests where aiohttp managed ~10,000 (bench/gateway_throughput.py). Side calls (merged
docs, health) keep using httpx: they are rare and share code with the services.
"""

from __future__ import annotations

import httpx

from gateway_service.proxy.upstream import UpstreamPool
from gateway_service.settings import GatewaySettings


def make_upstream_pool(s: GatewaySettings) -> UpstreamPool:
    """Keep-alive connections shared by all upstreams for proxied requests. Nothing is added or changed on the way:
    bodies pass through as the upstream encoded them, redirects are not followed, no cookie is kept."""
    return UpstreamPool(
        max_connections=s.max_connections,
        max_idle=s.max_keepalive_connections,
        keepalive_expiry=s.keepalive_expiry.total_seconds(),
        connect_timeout=s.connect_timeout.total_seconds(),
    )


def make_side_client(s: GatewaySettings) -> httpx.AsyncClient:
    """Small client for the gateway's own calls to the services (OpenAPI specs, readiness)."""
    timeout = httpx.Timeout(s.upstream_timeout.total_seconds(), connect=s.connect_timeout.total_seconds())
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=8)
    return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False, trust_env=False)

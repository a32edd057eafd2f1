"""The one pooled HTTP client the gateway uses for every upstream."""

from __future__ import annotations

import httpx

from gateway_service.settings import GatewaySettings


def make_upstream_client(s: GatewaySettings) -> httpx.AsyncClient:
    """Keep-alive pool shared by all upstreams; redirects are the client's business, so never follow them."""
    timeout = httpx.Timeout(
        connect=s.connect_timeout.total_seconds(),
        read=s.upstream_timeout.total_seconds(),
        write=s.upstream_timeout.total_seconds(),
        pool=s.connect_timeout.total_seconds(),
    )
    limits = httpx.Limits(
        max_connections=s.max_connections,
        max_keepalive_connections=s.max_keepalive_connections,
        keepalive_expiry=s.keepalive_expiry.total_seconds(),
    )
    # retries=0: the proxy decides itself which requests may be sent again (only idempotent ones).
    transport = httpx.AsyncHTTPTransport(limits=limits, retries=0)
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)

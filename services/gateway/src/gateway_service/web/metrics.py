"""Prometheus metrics per public route: latency, status codes, upstream errors.

The route label is the routing-table prefix (or the gateway's own route template), never the raw path, so ids in paths
cannot blow up the label set.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GATEWAY_REQUESTS = Counter(
    "crm_gateway_requests_total", "Requests answered by the gateway", ["route", "method", "status"]
)
GATEWAY_SECONDS = Histogram(
    "crm_gateway_request_duration_seconds",
    "Time from request to the end of the response body, through the gateway",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPSTREAM_ERRORS = Counter(
    "crm_gateway_upstream_errors_total",
    "Upstream failures (connect, timeout, protocol, stream)",
    ["route", "service", "kind"],
)


class GatewayMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = route_label(scope)
            method = scope.get("method", "GET")
            GATEWAY_REQUESTS.labels(route, method, str(status)).inc()
            GATEWAY_SECONDS.labels(route, method).observe(time.perf_counter() - start)


def route_label(scope: Scope) -> str:
    proxied = scope.get("state", {}).get("gateway_route")
    if proxied:
        return str(proxied)
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")

"""Prometheus metrics per public route: latency, status codes, upstream errors.

The route label is the routing-table prefix (or the gateway's own route template), never the raw path, so ids in paths
cannot blow up the label set.

One middleware records both the gateway's own families and the ones every service exports
(``crm_http_requests_total``/``crm_http_request_duration_seconds`` with ``service="gateway"``, which dashboards and
alerts use): one timer and one status capture per request instead of two stacked middlewares doing the same.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_common.web.middleware import HTTP_REQUESTS, HTTP_SECONDS

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
    def __init__(self, app: ASGIApp, service: str = "gateway") -> None:
        self.app, self.service = app, service
        self._counters: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}
        self._timers: dict[tuple[str, str, str], tuple[Any, Any]] = {}

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
            elapsed = time.perf_counter() - start
            route, template = route_label(scope), route_template(scope)
            method = scope.get("method", "GET")
            for counter in self._counter(route, template, method, str(status)):
                counter.inc()
            for timer in self._timer(route, template, method):
                timer.observe(elapsed)

    # Label lookups are cached: ``labels()`` takes a lock and builds a key on every call.
    def _counter(self, route: str, template: str, method: str, status: str) -> tuple[Any, Any]:
        key = (route, template, method, status)
        found = self._counters.get(key)
        if found is None:
            if len(self._counters) > 10_000:  # odd methods from clients must not grow this without bound
                self._counters.clear()
            found = self._counters[key] = (
                GATEWAY_REQUESTS.labels(route, method, status),
                HTTP_REQUESTS.labels(self.service, method, template, status),
            )
        return found

    def _timer(self, route: str, template: str, method: str) -> tuple[Any, Any]:
        key = (route, template, method)
        found = self._timers.get(key)
        if found is None:
            if len(self._timers) > 10_000:
                self._timers.clear()
            found = self._timers[key] = (
                GATEWAY_SECONDS.labels(route, method),
                HTTP_SECONDS.labels(self.service, method, template),
            )
        return found


def route_label(scope: Scope) -> str:
    proxied = scope.get("state", {}).get("gateway_route")
    if proxied:
        return str(proxied)
    return route_template(scope)


def route_template(scope: Scope) -> str:
    """The matched route's template, as ``crm_common.web.middleware.MetricsMiddleware`` labels it."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")

"""``PacedClient``: one async HTTP client for a source, paced by a :class:`RateGate`, retried by the source's rules.

The kit owns the loop (take units from the gate, send, let the policy read the answer, back off or wait, give up
after ``max_retries``); the source's :class:`LimitPolicy` owns the rules: what a request weighs, what the response
headers say about the bucket, which answers are retried, which wait applies to every request, and what to raise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson

from crm_integration.http.pacing import RateGate, backoff_delay
from crm_integration.log import log


@dataclass(frozen=True)
class Verdict:
    """What to do with one answer (``None`` response: a transport error)."""

    retry: bool
    reason: str = ""  # the retry's label in the retries metric: "500", "transport", "429_window", ...
    limited: str | None = None  # a rate-limit answer of this kind ("window", "parallel", "leaky"), counted apart
    pause_seconds: float | None = None  # every request of this client waits this long (the source announced it)


class LimitPolicy(Protocol):
    """A source's limit rules (MoySklad: units per window and headers; Bitrix24: a leaky bucket and 503s)."""

    def weight(self, method: str, path: str) -> int:
        """Units one request costs."""
        ...

    def observe(self, gate: RateGate, response: httpx.Response) -> None:
        """Correct the gate from what every response says about the bucket."""
        ...

    def verdict(self, response: httpx.Response | None) -> Verdict:
        """A failed answer (status ≥ 400) or a transport error (``None``): retry it, and how?"""
        ...

    def error(self, response: httpx.Response) -> Exception:
        """What to raise for an answer that must not be retried."""
        ...

    def unavailable(self, response: httpx.Response | None, path: str) -> Exception:
        """What to raise when retries ran out."""
        ...


@dataclass(frozen=True)
class RetryConfig:
    max_retries: int = 6
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    request_timeout_seconds: float = 120.0


@dataclass(frozen=True)
class ClientMetrics:
    """Prometheus metrics the connector declares under its own names.

    Labels: ``requests`` method and status, ``request_seconds`` method, ``rate_limited`` kind, ``retries`` reason.
    """

    requests: Any
    request_seconds: Any
    rate_limited: Any
    retries: Any


class PacedClient:
    def __init__(
        self,
        base_url: str,
        *,
        gate: RateGate,
        policy: LimitPolicy,
        retry: RetryConfig,
        max_connections: int,
        headers: Mapping[str, str] | None = None,
        authorization: Callable[[], str] | None = None,
        metrics: ClientMetrics | None = None,
        source: str = "source",
        keepalive_expiry: float = 25.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.gate, self.policy, self.retry, self.metrics = gate, policy, retry, metrics
        self.authorization, self.source = authorization, source
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=dict(headers or {}),
            timeout=httpx.Timeout(retry.request_timeout_seconds, connect=10.0),
            limits=httpx.Limits(max_connections=max_connections, keepalive_expiry=keepalive_expiry),
            transport=transport,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        """Send until an answer below 400 comes back; raise the policy's error otherwise."""
        weight = self.policy.weight(method, path)
        attempt = 0
        while True:
            response = await self._send(method, path, params, json, weight, attempt)
            if response is not None and response.status_code < 400:
                return response
            verdict = self.policy.verdict(response)
            if response is not None and not verdict.retry:
                raise self.policy.error(response)
            if attempt >= self.retry.max_retries:
                raise self.policy.unavailable(response, path)
            await self._wait_before_retry(verdict, attempt)
            attempt += 1

    async def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, json: Any, weight: int, attempt: int
    ) -> httpx.Response | None:
        headers = {"Authorization": self.authorization()} if self.authorization is not None else {}
        content = orjson.dumps(json) if json is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        # A slot first, then the units: units taken while waiting for a slot would reach the server later, several
        # at once, as a burst the gate never admitted.
        async with self.gate.parallel:
            ticket = await self.gate.acquire(weight)
            started = time.monotonic()
            try:
                response = await self._http.request(method, path, params=params, content=content, headers=headers)
            except httpx.TransportError as exc:
                self._count("requests", method, "error")
                log.warning(f"{self.source} transport error", path=path, error=repr(exc)[:200], attempt=attempt)
                return None
            finally:
                self.gate.answered(ticket)
        if self.metrics is not None:
            self.metrics.request_seconds.labels(method).observe(time.monotonic() - started)
        self._count("requests", method, str(response.status_code))
        self.policy.observe(self.gate, response)
        return response

    async def _wait_before_retry(self, verdict: Verdict, attempt: int) -> None:
        r = self.retry
        delay = backoff_delay(attempt, r.backoff_base_seconds, r.backoff_max_seconds)
        if verdict.limited is not None:
            self._count("rate_limited", verdict.limited)
        if verdict.pause_seconds is not None:
            # Everyone waits: the bucket is empty for all requests of this account, not just this one.
            self.gate.pause(verdict.pause_seconds + delay / 10)
            delay = 0.0
        self._count("retries", verdict.reason or "retry")
        await asyncio.sleep(delay)

    def _count(self, name: str, *labels: str) -> None:
        if self.metrics is not None:
            getattr(self.metrics, name).labels(*labels).inc()


def decode(response: httpx.Response) -> Any:
    """The JSON body, or None when the body is empty."""
    if not response.content:
        return None
    return orjson.loads(response.content)


def decode_quiet(response: httpx.Response | None) -> Any:
    """The JSON body, or None when there is none or it is not JSON (an error page)."""
    if response is None:
        return None
    try:
        return decode(response)
    except orjson.JSONDecodeError:
        return None

"""``MoySkladClient``: Basic or Bearer auth, gzip, keep-alive, pacing, retries.

MoySklad's rules are in docs/moysklad.md, sections "Authentication", "Requests" and "Rate limits and errors".

Retry policy: a window 429 (code 1049, ``X-Lognex-Retry-After`` present) waits the announced time for every
request; a parallel 429 (code 1073, no Retry-After) and 5xx/transport errors back off exponentially with jitter;
any other 4xx is raised at once, since repeating it only counts toward MoySklad's auto-ban (same page, "Rate limits
and errors").
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from moysklad_connector import metrics
from moysklad_connector.client.errors import (
    AuthenticationFailed,
    MoySkladError,
    MoySkladUnavailable,
    parse_error_body,
)
from moysklad_connector.client.pacing import RateGate, backoff_delay
from moysklad_connector.log import log

# gzip is mandatory (415 otherwise); this Accept value is the one every server version takes (docs/moysklad.md,
# "Requests").
BASE_HEADERS = {"Accept-Encoding": "gzip", "Accept": "application/json;charset=utf-8"}
STOCK_REPORT_PREFIXES = ("report/stock/all", "report/stock/bystore")


@dataclass(frozen=True)
class Credentials:
    base_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None

    def authorization(self) -> str:
        if self.token:
            return f"Bearer {self.token}"
        if self.username and self.password is not None:
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        raise AuthenticationFailed(401, "no MoySklad credentials configured (login/password or token)")


@dataclass(frozen=True)
class PacingConfig:
    rate_limit_units: int = 45
    rate_limit_window_ms: int = 3000
    rate_limit_share: float = 0.8
    request_weight: int = 4
    stock_report_weight: int = 5
    max_parallel_requests: int = 3
    max_retries: int = 6
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    request_timeout_seconds: float = 120.0


@dataclass(frozen=True)
class ListPage:
    rows: list[dict[str, Any]]
    size: int
    next_href: str | None


class MoySkladClient:
    def __init__(
        self,
        credentials: Credentials,
        pacing: PacingConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self.pacing = pacing or PacingConfig()
        p = self.pacing
        self.gate = RateGate(
            units=p.rate_limit_units,
            window_ms=p.rate_limit_window_ms,
            share=p.rate_limit_share,
            max_parallel=p.max_parallel_requests,
        )
        # MoySklad advises against connections idle for more than ~30 s (docs/moysklad.md, "Requests").
        self._http = httpx.AsyncClient(
            base_url=credentials.base_url.rstrip("/") + "/",
            headers=BASE_HEADERS,
            timeout=httpx.Timeout(p.request_timeout_seconds, connect=10.0),
            limits=httpx.Limits(max_connections=p.max_parallel_requests, keepalive_expiry=25.0),
            transport=transport,
        )

    async def __aenter__(self) -> MoySkladClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to the base URL, or an absolute href) and return the decoded JSON."""
        return await self.request("GET", path, params=params)

    async def list_page(self, path: str, params: dict[str, Any] | None = None) -> ListPage:
        body = await self.get(path, params)
        if isinstance(body, list):  # bare arrays: /report/stock/*/current, pricetype (docs/moysklad.md, "Collections")
            return ListPage(rows=body, size=len(body), next_href=None)
        meta = body.get("meta") or {}
        return ListPage(
            rows=list(body.get("rows") or []), size=int(meta.get("size", 0)), next_href=meta.get("nextHref")
        )

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        weight = self._weight(path)
        attempt = 0
        while True:
            response = await self._send(method, path, params, json, weight, attempt)
            if response is not None and response.status_code < 400:
                return _decode(response)
            if response is not None and not _retryable(response.status_code):
                raise self._error(response)
            if attempt >= self.pacing.max_retries:
                if response is None:
                    raise MoySkladUnavailable(0, "MoySklad did not answer", url=path)
                raise MoySkladUnavailable(response.status_code, parse_error_body(_decode_quiet(response))[0], url=path)
            await self._wait_before_retry(response, attempt)
            attempt += 1

    async def _send(
        self, method: str, path: str, params: dict[str, Any] | None, json: Any, weight: int, attempt: int
    ) -> httpx.Response | None:
        await self.gate.acquire(weight)
        headers = {"Authorization": self.credentials.authorization()}
        content = orjson.dumps(json) if json is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        async with self.gate.parallel:
            try:
                response = await self._http.request(method, path, params=params, content=content, headers=headers)
            except httpx.TransportError as exc:
                metrics.REQUESTS.labels(method, "error").inc()
                log.warning("moysklad transport error", path=path, error=repr(exc)[:200], attempt=attempt)
                return None
        metrics.REQUEST_SECONDS.labels(method).observe(time.monotonic() - started)
        metrics.REQUESTS.labels(method, str(response.status_code)).inc()
        self.gate.observe(response.headers)
        return response

    async def _wait_before_retry(self, response: httpx.Response | None, attempt: int) -> None:
        p = self.pacing
        delay = backoff_delay(attempt, p.backoff_base_seconds, p.backoff_max_seconds)
        reason = "transport" if response is None else str(response.status_code)
        if response is not None and response.status_code == 429:
            retry_after = response.headers.get("x-lognex-retry-after")
            if retry_after and retry_after.isdigit() and int(retry_after) > 0:
                metrics.RATE_LIMITED.labels("window").inc()
                # Everyone waits: the bucket is empty for all requests of this user, not just this one.
                self.gate.pause(int(retry_after) / 1000.0 + delay / 10)
                delay = 0.0
                reason = "429_window"
            else:
                metrics.RATE_LIMITED.labels("parallel").inc()
                reason = "429_parallel"
        metrics.RETRIES.labels(reason).inc()
        await asyncio.sleep(delay)

    def _weight(self, path: str) -> int:
        relative = path.split("/api/remap/1.2/", 1)[-1].lstrip("/")
        if relative.startswith(STOCK_REPORT_PREFIXES) and "/current" not in relative:
            return self.pacing.stock_report_weight
        return self.pacing.request_weight

    def _error(self, response: httpx.Response) -> MoySkladError:
        message, code = parse_error_body(_decode_quiet(response))
        url = str(response.request.url)
        if response.status_code == 401:
            return AuthenticationFailed(401, message, code, url)
        return MoySkladError(response.status_code, message, code, url)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    return orjson.loads(response.content)


def _decode_quiet(response: httpx.Response) -> Any:
    try:
        return _decode(response)
    except orjson.JSONDecodeError:
        return None

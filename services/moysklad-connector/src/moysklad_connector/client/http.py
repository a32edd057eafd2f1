"""``MoySkladClient``: Basic or Bearer auth, gzip, keep-alive, pacing, retries.

MoySklad's rules are in docs/moysklad.md, sections "Authentication", "Requests" and "Rate limits and errors".

Pacing, retries and backoff are the kit's (``crm_integration.http``); MoySklad's limit rules, which answers are
retried and how long everyone waits, are in client/limits.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

from crm_integration.http import PacedClient, RetryConfig, WindowGate
from crm_integration.http.client import decode
from moysklad_connector import metrics
from moysklad_connector.client.errors import AuthenticationFailed
from moysklad_connector.client.limits import MoySkladLimits

# gzip is mandatory (415 otherwise); this Accept value is the one every server version takes (docs/moysklad.md,
# "Requests").
BASE_HEADERS = {"Accept-Encoding": "gzip", "Accept": "application/json;charset=utf-8"}


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
class PacingConfig(RetryConfig):
    """MoySklad's bucket, weights and parallelism (docs/moysklad.md, "Rate limits and errors"), plus the kit's retry
    settings (max_retries 6, backoff 0.5 s doubling up to 30 s, request timeout 120 s)."""

    rate_limit_units: int = 45
    rate_limit_window_ms: int = 3000
    rate_limit_share: float = 0.9
    request_weight: int = 4
    stock_report_weight: int = 5
    max_parallel_requests: int = 3


@dataclass(frozen=True)
class ListPage:
    rows: list[dict[str, Any]]
    size: int
    next_href: str | None


async def abandon(ahead: asyncio.Task[ListPage]) -> None:
    """Cancel a page asked for ahead that is no longer wanted (the reader stopped or failed) and wait for it quietly."""
    if not ahead.done():
        ahead.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ahead


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
        self.gate = WindowGate(
            units=p.rate_limit_units,
            window_ms=p.rate_limit_window_ms,
            share=p.rate_limit_share,
            max_parallel=p.max_parallel_requests,
        )
        # MoySklad advises against connections idle for more than ~30 s (docs/moysklad.md, "Requests").
        self._http = PacedClient(
            credentials.base_url,
            gate=self.gate,
            policy=MoySkladLimits(p.request_weight, p.stock_report_weight),
            retry=p,
            max_connections=p.max_parallel_requests,
            headers=BASE_HEADERS,
            authorization=credentials.authorization,
            metrics=metrics.CLIENT,
            source="moysklad",
            keepalive_expiry=25.0,
            transport=transport,
        )

    async def __aenter__(self) -> MoySkladClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.close()

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
        """Send one request, paced and retried by MoySklad's rules (client/limits.py); the decoded JSON."""
        return decode(await self._http.request(method, path, params=params, json=json))

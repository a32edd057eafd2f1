"""``Bitrix24Client``: REST calls through an incoming webhook, paced by the leaky bucket, with ``batch`` and paging.

The webhook URL ``https://<portal>/rest/<user_id>/<code>/`` is the credential; a method is appended to it and its
parameters travel as a JSON body (docs/bitrix24.md, "Calling a method"). Pacing, retries and backoff are the kit's
(``crm_integration.http``); Bitrix24's rules are in client/limits.py. The method-time limit is per method: a 429
holds only that method until the ``operating_reset_at`` the last answer of that method announced.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from bitrix24_connector import metrics
from bitrix24_connector.client.errors import Bitrix24Error, OperationTimeLimit, error_for
from bitrix24_connector.client.limits import Bitrix24Limits
from crm_integration.http import PacedClient, RateGate, RetryConfig
from crm_integration.http.client import decode

PAGE = 50  # records per list page and calls per batch (docs/bitrix24.md, "Lists", "Batch")


@dataclass(frozen=True)
class PacingConfig:
    drain_per_second: float = 2.0
    burst: int = 50
    share: float = 0.9
    max_parallel_requests: int = 2
    max_retries: int = 8
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    request_timeout_seconds: float = 60.0
    # The longest a call waits for its method's time budget to come back before it gives up.
    max_operating_wait_seconds: float = 600.0


@dataclass(frozen=True)
class Envelope:
    """``{result, next, total, time}``."""

    result: Any
    next: int | None = None
    total: int | None = None
    date_start: str | None = None  # the portal's clock when it took the call (``time.date_start``)


@dataclass
class BatchAnswer:
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Bitrix24Error] = field(default_factory=dict)


# One leaky bucket per portal (docs/bitrix24.md, "Limits"): every client of a portal in this process draws from the
# same gate, so a sync, the event binding and a hinted sync never each start from a full bucket. Per event loop,
# because the gate's lock belongs to one.
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, PacingConfig], RateGate]] = (
    weakref.WeakKeyDictionary()
)


def shared_gate(portal: str, p: PacingConfig) -> RateGate:
    """The gate of ``portal`` under pacing ``p`` in the running event loop (a fresh one outside a loop)."""
    window_ms = int(p.burst / p.drain_per_second * 1000)
    fresh = RateGate(units=p.burst, window_ms=window_ms, share=p.share, max_parallel=p.max_parallel_requests)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return fresh
    gates = _GATES.setdefault(loop, {})
    return gates.setdefault((portal, p), fresh)


def portal_of(webhook_url: str) -> str:
    """The portal's host: what an integration reaches, and the ``account_id`` of its events."""
    return urlsplit(webhook_url).netloc.lower()


def php_query(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``{"filter": {">ID": 5}}`` as PHP's ``filter[>ID]=5`` pairs (docs/bitrix24.md, "Calling a method")."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(php_query(value, name))
        elif isinstance(value, (list, tuple)):
            pairs.extend(php_query({str(i): v for i, v in enumerate(value)}, name))
        else:
            pairs.append((name, "" if value is None else str(value)))
    return pairs


def command(method: str, params: Mapping[str, Any]) -> str:
    """One ``batch`` command: ``method?query`` (the inner query URL-encoded once more by the JSON transport)."""
    return method + "?" + "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in php_query(params))


class Bitrix24Client:
    def __init__(
        self,
        webhook_url: str,
        pacing: PacingConfig | None = None,
        *,
        transport: Any = None,
    ) -> None:
        self.webhook_url = webhook_url.rstrip("/") + "/"
        self.portal = portal_of(self.webhook_url)
        self.pacing = p = pacing or PacingConfig()
        self.gate = shared_gate(self.portal, p)
        self._http = PacedClient(
            self.webhook_url,
            gate=self.gate,
            policy=Bitrix24Limits(),
            retry=RetryConfig(p.max_retries, p.backoff_base_seconds, p.backoff_max_seconds, p.request_timeout_seconds),
            max_connections=p.max_parallel_requests,
            headers={"Accept": "application/json"},
            metrics=metrics.CLIENT,
            source="bitrix24",
            transport=transport,
        )
        self.calls = 0  # calls sent (each one HTTP request, plus its retries)
        self._reset_at: dict[str, float] = {}  # method -> Unix time its time budget comes back
        self.last_date_start: str | None = None  # the portal's clock at the last call (``time.date_start``)

    async def __aenter__(self) -> Bitrix24Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.close()

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Envelope:
        """Call one method; a 429 holds this method until its ``operating_reset_at``, then it is sent again."""
        waited = 0.0
        while True:
            try:
                body = decode(await self._http.request("POST", method, json=dict(params or {})))
            except OperationTimeLimit:
                delay = self._operating_delay(method)
                if waited + delay > self.pacing.max_operating_wait_seconds:
                    raise
                waited += delay
                metrics.OPERATING_HELD.labels(method).inc()
                await asyncio.sleep(delay)
                continue
            finally:
                self.calls += 1
            self._note_time(method, body.get("time") if isinstance(body, dict) else None)
            if not isinstance(body, dict) or "result" not in body:
                raise Bitrix24Error(200, "", f"unexpected answer {str(body)[:200]}", method)
            timing: dict[str, Any] = body["time"] if isinstance(body.get("time"), dict) else {}
            self.last_date_start = timing.get("date_start") or self.last_date_start
            return Envelope(body["result"], _int(body.get("next")), _int(body.get("total")), timing.get("date_start"))

    async def batch(self, calls: Mapping[str, tuple[str, Mapping[str, Any]]]) -> BatchAnswer:
        """Up to 50 calls per request; each call's error is kept under its key (``halt=0``). A nested call refused
        for its method's time (``OPERATION_TIME_LIMIT``: each nested call counts under its own method) is sent again
        once that method's ``operating_reset_at`` has passed."""
        answer = BatchAnswer()
        pending = dict(calls)
        waited = 0.0
        while pending:
            blocked: dict[str, Bitrix24Error] = {}
            items = list(pending.items())
            for start in range(0, len(items), PAGE):
                results, errors = await self._batch_once(dict(items[start : start + PAGE]))
                answer.results.update(results)
                for key, error in errors.items():
                    (blocked if isinstance(error, OperationTimeLimit) else answer.errors)[key] = error
            delay = max((self._operating_delay(error.method) for error in blocked.values()), default=0.0)
            if not blocked or waited + delay > self.pacing.max_operating_wait_seconds:
                answer.errors.update(blocked)
                return answer
            waited += delay
            for error in blocked.values():
                metrics.OPERATING_HELD.labels(error.method).inc()
            await asyncio.sleep(delay)
            pending = {key: calls[key] for key in blocked}
        return answer

    async def _batch_once(
        self, chunk: Mapping[str, tuple[str, Mapping[str, Any]]]
    ) -> tuple[dict[str, Any], dict[str, Bitrix24Error]]:
        envelope = await self.call("batch", {"halt": 0, "cmd": {k: command(m, p) for k, (m, p) in chunk.items()}})
        body = envelope.result if isinstance(envelope.result, dict) else {}
        for key, times in (body.get("result_time") or {}).items():
            self._note_time(chunk[key][0], times)
        errors = {key: error_for(400, error, chunk[key][0]) for key, error in (body.get("result_error") or {}).items()}
        return dict(body.get("result") or {}), errors

    def _operating_delay(self, method: str) -> float:
        """Seconds until ``method``'s time budget is back (``operating_reset_at`` is whole seconds: one more)."""
        return max(1.0, self._reset_at.get(method, time.time() + 60) + 1 - time.time())

    async def walk(
        self, method: str, *, select: Sequence[str], after_id: int = 0, extra: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every record with an id above ``after_id``, page by page, by the documented fast path (docs/bitrix24.md,
        "Lists"): ``order[ID]=ASC``, ``filter[>ID]=<last>``, ``start=-1`` (no count); a short page is the last."""
        last = after_id
        while True:
            params = {
                "order": {"ID": "ASC"},
                "filter": {**(extra or {}), ">ID": last},
                "select": list(select),
                "start": -1,
            }
            rows = list((await self.call(method, params)).result or [])
            if rows:
                yield rows
                last = int(rows[-1]["ID"])
            if len(rows) < PAGE:
                return

    def _note_time(self, method: str, timing: Any) -> None:
        if isinstance(timing, dict) and timing.get("operating_reset_at") is not None:
            self._reset_at[method] = float(timing["operating_reset_at"])


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None

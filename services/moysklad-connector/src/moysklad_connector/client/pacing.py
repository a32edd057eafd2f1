"""Client-side pacing for MoySklad's limits (docs/moysklad.md, "Rate limits and errors").

A token bucket mirrors the server's (``X-RateLimit-Limit`` units per ``X-Lognex-Retry-TimeInterval`` ms) but keeps a
safety margin: it only ever spends ``share`` of the bucket, and every response's ``X-RateLimit-Remaining`` can only
lower our estimate, never raise it. A window 429 pauses every request until ``X-Lognex-Retry-After`` has passed.
Parallelism is capped separately, because the headers do not cover the 5-in-flight limit.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping


class RateGate:
    def __init__(self, *, units: int, window_ms: int, share: float, max_parallel: int) -> None:
        self.units, self.window = float(units), window_ms / 1000.0
        self.share = share
        self.capacity = units * share
        self.tokens = self.capacity
        self._refilled = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.parallel = asyncio.Semaphore(max_parallel)

    @property
    def rate(self) -> float:
        """Units the server refills per second."""
        return self.units / self.window

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._refilled)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate * self.share)
        self._refilled = max(now, self._refilled)

    async def acquire(self, weight: int) -> None:
        """Wait until a request of ``weight`` units fits under our share of the bucket."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self.tokens >= weight:
                    self.tokens -= weight
                    return
                await asyncio.sleep((weight - self.tokens) / (self.rate * self.share))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Correct the bucket from a response's rate-limit headers.

        They come with every response (docs/moysklad.md, "Rate limits and errors").
        """
        limit = _int(headers.get("x-ratelimit-limit"))
        interval = _int(headers.get("x-lognex-retry-timeinterval"))
        if limit and interval and (limit != self.units or interval / 1000.0 != self.window):
            self.units, self.window = float(limit), interval / 1000.0
            self.capacity = limit * self.share
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            margin = self.units * (1 - self.share)
            self._refill(time.monotonic())
            self.tokens = min(self.tokens, remaining - margin)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (after a window 429), and start from an empty bucket."""
        until = time.monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self.tokens = 0.0
        self._refilled = until


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter")."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not a secret

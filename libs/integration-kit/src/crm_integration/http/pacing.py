"""Client-side pacing: a token bucket under a share of the source's limit, a shared pause, a cap on parallelism.

The bucket holds ``share`` × ``units`` and refills ``units`` per ``window`` (times ``share``), so the client keeps a
safety margin below what the server allows. A source whose responses report what is left (MoySklad's
``X-RateLimit-Remaining``) lowers the estimate with :meth:`RateGate.cap`; one that announces a new limit resizes the
bucket with :meth:`RateGate.resize`; one that says "wait N seconds, everyone" pauses it with :meth:`RateGate.pause`.
The same bucket is a leaky bucket of ``units / window`` requests per second with a burst of ``units`` when every
request weighs 1 (Bitrix24: 2 requests/s, burst 50).
"""

from __future__ import annotations

import asyncio
import random
import time


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

    def resize(self, units: int, window_ms: int) -> None:
        """The server announced another limit: follow it (keeping our share)."""
        if units != self.units or window_ms / 1000.0 != self.window:
            self.units, self.window = float(units), window_ms / 1000.0
            self.capacity = units * self.share

    def cap(self, remaining: int) -> None:
        """The server says ``remaining`` units are left: our estimate can only go down to it (less our margin)."""
        margin = self.units * (1 - self.share)
        self._refill(time.monotonic())
        self.tokens = min(self.tokens, remaining - margin)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (the server said so), and start from an empty bucket."""
        until = time.monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self.tokens = 0.0
        self._refilled = until


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter")."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not a secret

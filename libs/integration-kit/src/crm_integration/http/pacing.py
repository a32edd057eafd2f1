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

    async def acquire(self, weight: int) -> list[float] | None:
        """Wait until a request of ``weight`` units fits under our share of the bucket; what it returns goes back to
        :meth:`answered` once the request has its answer (or failed)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                wait, ticket = self._admit(now, weight)
                if wait is None:
                    return ticket
                await asyncio.sleep(wait)

    def _admit(self, now: float, weight: int) -> tuple[float | None, list[float] | None]:
        """Take ``weight`` units now (no wait), or say how long to wait before looking again."""
        self._refill(now)
        if self.tokens >= weight:
            self.tokens -= weight
            return None, None
        return (weight - self.tokens) / (self.rate * self.share), None

    def answered(self, ticket: list[float] | None) -> None:
        """The request ``acquire`` admitted has its answer (a bucket has nothing to do then)."""

    def resize(self, units: int, window_ms: int) -> None:
        """The server announced another limit: follow it (keeping our share)."""
        if units != self.units or window_ms / 1000.0 != self.window:
            self.units, self.window = float(units), window_ms / 1000.0
            self.capacity = units * self.share

    def cap(self, remaining: int, age: float = 0.0) -> None:
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


class WindowGate(RateGate):
    """The same interface for a source that counts a sliding window: at most ``units`` in any ``window`` (MoySklad's
    45 units per 3 s, docs/moysklad.md, "Rate limits and errors").

    A token bucket of that size admits up to twice the window's units in its first window (a full bucket, then the
    refill), which a sliding window refuses: every refusal costs a pause of the whole account. Here the client keeps
    what it sent (from when it was sent until a window after its answer came: the server counted it in between) and
    admits a request only if it fits under ``share`` of the window. What the server reports as used beyond our
    own requests at the moment it counted (another client of the same user) is held as used from then for one
    window. A source that counts this way also never exceeds a bucket of the same size, so the gate is safe under
    either reading.
    """

    SLACK = 0.02  # seconds an entry is counted past the window (timer granularity)

    def __init__(self, *, units: int, window_ms: int, share: float, max_parallel: int) -> None:
        super().__init__(units=units, window_ms=window_ms, share=share, max_parallel=max_parallel)
        # [when, units]: when it was sent, moved to when its answer came (the server counted it in between, so the
        # entry leaves our window no earlier than the server's); kept a few windows, for answers that come late.
        self.sent: list[list[float]] = []

    def used(self, at: float) -> float:
        """Units counted against the window that ends at ``at``."""
        return sum(units for when, units in self.sent if at - self.window - self.SLACK < when <= at)

    def _admit(self, now: float, weight: int) -> tuple[float | None, list[float] | None]:
        self.sent = [entry for entry in self.sent if entry[0] > now - 4 * self.window]
        live = [when for when, _ in self.sent if when > now - self.window - self.SLACK]
        if self.used(now) + weight <= self.capacity or not live:
            ticket = [now, float(weight)]
            self.sent.append(ticket)
            return None, ticket
        # Until the oldest entry leaves the window (then look again: one may not be enough).
        return max(min(live) + self.window + self.SLACK - now, 0.001), None

    def answered(self, ticket: list[float] | None) -> None:
        if ticket is not None:
            ticket[0] = max(ticket[0], time.monotonic())

    def cap(self, remaining: int, age: float = 0.0) -> None:
        """The server said ``remaining`` units were left when it counted a request sent ``age`` seconds ago: what it
        counted beyond everything we sent from the start of that window until now (a superset of what it can have
        seen from us, whenever exactly it counted) is someone else's, and held as used from then."""
        now = time.monotonic()
        counted_at = now - age
        ours = sum(units for when, units in self.sent if counted_at - self.window - self.SLACK < when <= now)
        beyond = (self.units - remaining) - ours
        if beyond > 0:
            self.sent.append([counted_at, beyond])

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter")."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not a secret

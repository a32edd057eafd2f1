"""Request weights, the 45-units-per-3-s sliding window and the parallel limit.

MoySklad's numbers and headers are in docs/moysklad.md, "Rate limits and errors".
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.settings import Settings

WEIGHTED_REPORTS = ("/report/stock/all", "/report/stock/bystore")
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Verdict:
    """The outcome for one request and the five headers that go on its response."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Per-user sliding window of weighted requests plus an in-flight counter."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.window: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.counted: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # path -> requests, units, refused

    def record(self, path: str, weight: int, allowed: bool) -> None:
        """Count one request for ``GET /__sim/stats``: what a client really asked, and what it cost."""
        row = self.counted[_ID.sub("/{id}", path)]
        row[0] += 1
        row[1] += weight if allowed else 0
        row[2] += 0 if allowed else 1

    def stats(self) -> dict[str, Any]:
        by_path = {path: {"requests": r, "units": u, "refused": x} for path, (r, u, x) in sorted(self.counted.items())}
        return {
            "requests": sum(row[0] for row in self.counted.values()),
            "units": sum(row[1] for row in self.counted.values()),
            "refused": sum(row[2] for row in self.counted.values()),
            "rate_limit_units": self.settings.rate_limit_units,
            "rate_limit_window_ms": self.settings.rate_limit_window_ms,
            "by_path": by_path,
        }

    def weight(self, path: str, auth_kind: str) -> int:
        """Stock reports weigh 5 whatever the auth; otherwise the auth kind decides ("Rate limits and errors")."""
        if path.rstrip("/").endswith(WEIGHTED_REPORTS):
            return self.settings.weight_stock_report
        return self.settings.weight_basic if auth_kind == "basic" else self.settings.weight_user_token

    def admit(self, user: str, weight: int, now: float | None = None) -> Verdict:
        """Charge ``weight`` units if they fit in the window; otherwise a 429 verdict with Retry-After."""
        now = time.monotonic() if now is None else now
        span = self.settings.rate_limit_window_ms / 1000
        entries = self.window[user]
        while entries and entries[0][0] <= now - span:
            entries.popleft()
        used = sum(w for _, w in entries)
        limit = self.settings.rate_limit_units
        if used + weight > limit:
            wait_ms = self._wait_ms(entries, used + weight - limit, now, span)
            return Verdict(False, self._headers(max(limit - used, 0), wait_ms, wait_ms))
        entries.append((now, weight))
        reset_ms = int((entries[0][0] + span - now) * 1000)
        return Verdict(True, self._headers(limit - used - weight, reset_ms if used + weight >= limit else 0, 0))

    @staticmethod
    def _wait_ms(entries: deque[tuple[float, int]], excess: int, now: float, span: float) -> int:
        freed = 0
        for stamp, weight in entries:
            freed += weight
            if freed >= excess:
                return max(1, int((stamp + span - now) * 1000) + 1)
        return int(span * 1000)

    def _headers(self, remaining: int, reset_ms: int, retry_after_ms: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.settings.rate_limit_units),
            "X-Lognex-Retry-TimeInterval": str(self.settings.rate_limit_window_ms),
            "X-RateLimit-Remaining": str(remaining),
            "X-Lognex-Reset": str(reset_ms),
            "X-Lognex-Retry-After": str(retry_after_ms),
        }

    def enter(self, user: str) -> bool:
        """Count one more request in flight; ``False`` when that would exceed the parallel limit."""
        if self.in_flight[user] >= self.settings.parallel_per_user:
            return False
        self.in_flight[user] += 1
        return True

    def leave(self, user: str) -> None:
        self.in_flight[user] -= 1


def window_error() -> MoySkladError:
    return MoySkladError(429, 1049, "Превышено ограничение на количество запросов в единицу времени")


def parallel_error() -> MoySkladError:
    return MoySkladError(429, 1073, "Превышено ограничение на одновременное количество запросов")

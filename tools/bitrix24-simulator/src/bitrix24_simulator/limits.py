"""The two Bitrix24 limits (https://apidocs.bitrix24.com/limits.html).

* Leaky bucket: every HTTP request adds 1 to a counter that drains by ``Y`` per second; a request arriving when the
  counter has reached ``X`` is refused with 503 ``QUERY_LIMIT_EXCEEDED`` (and adds nothing). Standard plans: Y=2,
  X=50; Enterprise: Y=5, X=250. One bucket per portal: every webhook and application from one address shares it.
* Method time (``operating``): the execution time of each method is summed per webhook in ten one-minute baskets;
  a basket leaves the sum 10 minutes after its first call (``operating_reset_at``). A call is refused with 429
  ``OPERATION_TIME_LIMIT`` when the sum already exceeds the limit (480 s) before it runs. ``batch`` itself is not
  counted; its nested calls are, each under its own method name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bitrix24_simulator.settings import BUCKETS, Settings


class LeakyBucket:
    def __init__(self, settings: Settings) -> None:
        self.drain_per_second, self.threshold = BUCKETS[settings.tariff]
        self.level = 0.0
        self.updated: float | None = None

    def admit(self, now: float) -> bool:
        """Count one request at ``now``; ``False`` when the bucket is full and the request must be refused."""
        if self.updated is not None:
            self.level = max(0.0, self.level - (now - self.updated) * self.drain_per_second)
        self.updated = now
        if self.level >= self.threshold:
            return False
        self.level += 1
        return True


@dataclass
class _Basket:
    opened_at: float
    seconds: float = 0.0


@dataclass
class OperatingMeter:
    """Accumulated execution time per (webhook, method) in one-minute baskets."""

    settings: Settings
    baskets: dict[tuple[str, str], list[_Basket]] = field(default_factory=lambda: defaultdict(list))

    def _live(self, key: tuple[str, str], now: float) -> list[_Basket]:
        window = self.settings.operating_window_seconds
        kept = [b for b in self.baskets[key] if b.opened_at + window > now]
        self.baskets[key] = kept
        return kept

    def operating(self, key: tuple[str, str], now: float) -> float:
        return sum(b.seconds for b in self._live(key, now))

    def reset_at(self, key: tuple[str, str], now: float) -> int | None:
        live = self._live(key, now)
        return int(live[0].opened_at + self.settings.operating_window_seconds) if live else None

    def blocked(self, key: tuple[str, str], now: float) -> bool:
        return self.operating(key, now) > self.settings.operating_limit_seconds

    def charge(self, key: tuple[str, str], started: float, seconds: float) -> None:
        live = self._live(key, started)
        basket_span = self.settings.operating_window_seconds / 10
        if not live or started - live[-1].opened_at >= basket_span:
            live.append(_Basket(started))
        live[-1].seconds += seconds + self.settings.operating_seconds_per_call

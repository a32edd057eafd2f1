"""The rate-limit floor of a sync: the fewest seconds MoySklad's bucket admits the units the simulator counted."""

from __future__ import annotations

from typing import Any


def rate_limit_floor(stats: dict[str, Any]) -> float:
    """Seconds the bucket needs to admit ``units``: the first ``limit`` at once, then ``limit`` per window."""
    limit, window = stats["rate_limit_units"], stats["rate_limit_window_ms"] / 1000
    return max(0, stats["units"] - limit) / limit * window

"""A short circuit breaker around Redis, so an outage costs one timeout, not one per request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from crm_common.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis did not answer (or did not answer recently); the caller applies its documented policy."""


class RedisBreaker:
    def __init__(self, cool_down: float) -> None:
        self.cool_down = cool_down
        self._open_until = 0.0

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if time.monotonic() < self._open_until:
            raise RedisUnavailable("redis marked unavailable")
        try:
            return await operation()
        except (RedisError, OSError, TimeoutError) as exc:
            self._open_until = time.monotonic() + self.cool_down
            log.warning("redis unavailable", error=repr(exc)[:200], cool_down=self.cool_down)
            raise RedisUnavailable(str(exc)) from exc

"""Waiting for an outcome without asserting on time, and a clock tests move by hand."""

from __future__ import annotations

import asyncio
import time
from typing import Any


class FakeClock:
    """Stands in for the ``time`` module of the code under test: wall and monotonic time move only when told."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def eventually(check: Any, timeout: float = 30.0) -> Any:
    """Call the async ``check`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)

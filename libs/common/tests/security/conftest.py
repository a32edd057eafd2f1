"""A clock the tests move by hand, for the caches of the JWKS key source and the session check."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from crm_testing import FakeClock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[ModuleType], FakeClock]:
    """``clock(module)`` replaces ``module.time`` with a fresh FakeClock for this test and returns it."""

    def install(module: ModuleType) -> FakeClock:
        fake = FakeClock()
        monkeypatch.setattr(module, "time", fake)
        return fake

    return install

"""The security tier: one whole system (six services and the simulator, synced) for the whole directory, reached
only through the gateway (plus the services' own ports where a test checks defence in depth).

One system rather than one per module: starting it costs over a minute on a loaded two-core machine, and every test
here uses identities and client addresses of its own, so the tests do not disturb each other. The secrets scan
(test_secrets.py) runs last, over every response and log line the tier produced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sec_harness import SecuritySystem, security_system

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="package")
def sec() -> Iterator[SecuritySystem]:
    with security_system() as running:
        yield running


@pytest.fixture(scope="package")
def spec(sec: SecuritySystem) -> dict[str, Any]:
    """The gateway's merged OpenAPI document, once every service contributed its part (a service builds its own
    document on the first request, which on a busy machine can outlast the gateway's fetch timeout: ask again)."""
    deadline = time.monotonic() + 90
    while True:
        response = httpx.get(f"{sec.gateway}/api/v1/openapi.json", timeout=30)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        missing = document.get("x-unavailable-services")
        if not missing:
            return document
        assert time.monotonic() < deadline, f"services missing from the merged document: {missing}"
        time.sleep(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The secrets scan goes after every other security test (it reads what they left in logs and responses)."""
    ours = [Path(str(i.path)).parent == HERE for i in items]
    last = [i for i, mine in zip(items, ours, strict=True) if mine and Path(str(i.path)).name == "test_secrets.py"]
    if not last:
        return
    rest = [i for i in items if i not in last]
    # right after the tier's last other test, so the package's system is still up (never after another package)
    end = max((n for n, i in enumerate(rest) if Path(str(i.path)).parent == HERE), default=len(rest) - 1)
    items[:] = rest[: end + 1] + last + rest[end + 1 :]

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from moysklad_simulator import Settings, SimulatorState, create_app, generate
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

ANCHOR = "2026-01-15 00:00:00"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes minutes (loads the official OpenAPI spec)")


def make_settings(**overrides: object) -> Settings:
    base: dict[str, object] = {"scale": "demo", "seed": 42, "anchor": ANCHOR, "rate_limits_enabled": False}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def state(settings: Settings) -> SimulatorState:
    """A read-only shared state: tests that change data build their own."""
    return generate(settings)


def asgi_client(settings: Settings, state: SimulatorState, **kwargs: object) -> httpx.AsyncClient:
    app = create_app(settings, state)
    options: dict[str, object] = {
        "transport": httpx.ASGITransport(app=app),
        "base_url": "http://sim.test/api/remap/1.2",
        "auth": (settings.login, settings.password.get_secret_value()),
        "headers": {"Accept-Encoding": "gzip"},
    }
    options.update(kwargs)
    return httpx.AsyncClient(**options)  # type: ignore[arg-type]


@pytest.fixture
async def client(settings: Settings, state: SimulatorState) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(settings, state) as c:
        yield c


@pytest.fixture(scope="session")
def server(settings: Settings, state: SimulatorState) -> Iterator[RunningSimulator]:
    with serve_in_thread(settings, state) as running:
        yield running

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bitrix24_simulator import Portal, Settings, generate
from bitrix24_simulator.testing import RunningSimulator, serve_in_thread

ANCHOR = "2026-01-15 00:00:00"


def make_settings(**overrides: object) -> Settings:
    base: dict[str, object] = {
        "scale": "demo",
        "seed": 42,
        "anchor": ANCHOR,
        "rate_limits_enabled": False,
        "operating_limit_enabled": False,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


class FakeClock:
    """A clock the test moves by hand, so limits are checked by counting requests, never by waiting."""

    def __init__(self, start: float = 1_770_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def call(sim: RunningSimulator, method: str, **params: Any) -> httpx.Response:
    """POST ``params`` as JSON to the webhook URL."""
    return httpx.post(f"{sim.webhook_url}{method}", json=params, timeout=10)


def result(sim: RunningSimulator, method: str, **params: Any) -> Any:
    response = call(sim, method, **params)
    assert response.status_code == 200, response.text
    return response.json()["result"]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def portal(settings: Settings) -> Portal:
    """A read-only shared portal: tests that change data build their own."""
    return generate(settings)


@pytest.fixture(scope="session")
def server(settings: Settings, portal: Portal) -> Iterator[RunningSimulator]:
    with serve_in_thread(settings, portal) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[RunningSimulator]:
    """A tiny portal of its own, for tests that change data or faults."""
    settings = make_settings(scale="tiny")
    with serve_in_thread(settings, generate(settings)) as running:
        yield running


@dataclass
class Receiver:
    """A real local HTTP endpoint that records every form-encoded POST it gets."""

    url: str
    posts: list[dict[str, str]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            received.content_types.append(self.headers.get("Content-Type", ""))
            received.posts.append(dict(parse_qsl(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{httpd.server_address[1]}/b24/events"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        httpd.shutdown()
        httpd.server_close()

"""Run the simulator on a real socket from tests (yours or another package's).

with serve_in_thread(Settings(scale="demo", seed=7)) as sim:
    httpx.get(f"{sim.api_url}/entity/product", auth=sim.basic_auth, headers={"Accept-Encoding": "gzip"})
    expected = sim.state.records("product")   # the oracle: the same data the server serves
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from moysklad_simulator.app import create_app
from moysklad_simulator.data.generator import generate
from moysklad_simulator.responses import API_PREFIX
from moysklad_simulator.settings import Settings
from moysklad_simulator.store import SimulatorState


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator listening on ``base_url``; ``state`` is the live store behind it."""

    base_url: str
    settings: Settings
    state: SimulatorState

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def basic_auth(self) -> tuple[str, str]:
        return (self.settings.login, self.settings.password.get_secret_value())

    @property
    def token(self) -> str:
        return self.settings.token.get_secret_value()


@contextmanager
def serve_in_thread(
    settings: Settings | None = None, state: SimulatorState | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningSimulator]:
    """Serve on ``host:port`` (a free port when 0) in a background thread until the block exits."""
    settings = settings or Settings()
    state = state or generate(settings)
    with serve_app(create_app(settings, state), host, port) as base_url:
        yield RunningSimulator(base_url, settings, state)


@contextmanager
def serve_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve any ASGI app with uvicorn on a real socket in a background thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("simulator did not start")
        time.sleep(0.01)
    bound_port = sock.getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

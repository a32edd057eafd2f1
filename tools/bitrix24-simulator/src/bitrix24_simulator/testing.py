"""Run the simulator on a real socket from tests (yours or another package's).

with serve_in_thread(Settings(scale="tiny", seed=7)) as sim:
    httpx.get(f"{sim.webhook_url}crm.deal.list.json")
    expected = sim.portal.records("deal")      # the oracle: the same data the server serves
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from bitrix24_simulator.app import create_app
from bitrix24_simulator.data.generator import generate
from bitrix24_simulator.settings import Settings
from bitrix24_simulator.store import Portal


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator listening on ``base_url``; ``portal`` is the live store behind it."""

    base_url: str
    settings: Settings
    portal: Portal

    @property
    def webhook_url(self) -> str:
        """``http://host:port/rest/<user_id>/<code>/``: append a method name."""
        code = self.settings.webhook_code.get_secret_value()
        return f"{self.base_url}/rest/{self.settings.webhook_user_id}/{code}/"


@contextmanager
def serve_in_thread(
    settings: Settings | None = None, portal: Portal | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningSimulator]:
    """Serve on ``host:port`` (a free port when 0) in a background thread until the block exits."""
    settings = settings or Settings()
    portal = portal or generate(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(create_app(settings, portal), log_level="warning", lifespan="on")
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
        yield RunningSimulator(f"http://{host}:{bound_port}", settings, portal)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

"""Run the simulator on a real socket from tests (yours or another package's).

with serve_in_thread(Settings(scale="tiny", seed=7)) as sim:
    httpx.get(f"{sim.webhook_url}crm.deal.list.json")
    expected = sim.portal.records("deal")      # the oracle: the same data the server serves
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bitrix24_simulator.app import create_app
from bitrix24_simulator.data.generator import generate
from bitrix24_simulator.settings import Settings
from bitrix24_simulator.store import Portal
from moysklad_simulator.testing import serve_app


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
    with serve_app(create_app(settings, portal), host, port) as base_url:
        yield RunningSimulator(base_url, settings, portal)

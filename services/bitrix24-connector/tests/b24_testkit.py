"""Helpers shared by the connector's tests (imported by name: tests/ is on pytest's pythonpath, the root pyproject)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_simulator import Settings as SimSettings
from bitrix24_simulator.testing import RunningSimulator, serve_in_thread
from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_testing import TokenMint, kafka_servers, read_events, test_database_url
from crm_testing import latest_state as latest_state  # re-exported with the connector's helpers

ANCHOR = "2026-01-15 00:00:00"
ADMIN_MINT = TokenMint()
# Each simulator listens on its own loopback address, so each is its own portal (account) on the shared topics.
_hosts = (f"127.0.{a}.{b}" for a, b in itertools.product(range(10, 250), range(2, 250)))


def connector_settings(**overrides: object) -> ConnectorSettings:
    base: dict[str, object] = {
        "database_url": test_database_url(),
        "kafka_bootstrap_servers": kafka_servers(),
        "scheduler_enabled": False,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 0.5,
    }
    base.update(overrides)
    return ConnectorSettings(**base)  # type: ignore[arg-type]


def sim_settings(**overrides: object) -> SimSettings:
    base: dict[str, object] = {"scale": "tiny", "seed": 7, "anchor": ANCHOR}
    base.update(overrides)
    return SimSettings(**base)  # type: ignore[arg-type]


@contextmanager
def portal(**overrides: object) -> Iterator[RunningSimulator]:
    with serve_in_thread(sim_settings(**overrides), host=next(_hosts)) as running:
        yield running


async def register(
    sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings, sim: RunningSimulator, **extra: Any
) -> str:
    integration_id = f"b24-{uuid.uuid4().hex[:12]}"
    async with transaction(sessions) as session:
        await integrations.save(
            session, settings, integration_id, webhook_url=sim.webhook_url, application_token=extra.get("token")
        )
    return integration_id


def account(sim: RunningSimulator) -> str:
    return sim.base_url.split("://", 1)[1]


async def portal_events(topic: str, sim: RunningSimulator, idle: float = 1.5) -> list[EventEnvelope]:
    return [e for e in await read_events(topic, idle=idle) if e.account_id == account(sim)]


def rest(sim: RunningSimulator, method: str, **params: Any) -> Any:
    """Call the simulator's REST API as a portal user would (changes go through the same code as Bitrix24's)."""
    response = httpx.post(f"{sim.webhook_url}{method}", json=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def sim_stats(sim: RunningSimulator) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{sim.base_url}/__sim/stats", timeout=10).json()
    return stats


def set_faults(sim: RunningSimulator, **faults: Any) -> None:
    response = httpx.put(f"{sim.base_url}/__sim/faults", json=faults, timeout=10)
    assert response.status_code == 200, response.text

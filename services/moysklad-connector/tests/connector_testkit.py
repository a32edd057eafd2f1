"""Helpers shared by the connector's tests (imported by name: tests/ is on pytest's pythonpath, the root pyproject)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_testing import TokenMint as TokenMint
from crm_testing import kafka_servers, read_events, test_database_url
from crm_testing import latest_state as latest_state  # re-exported with the connector's helpers
from moysklad_connector.integrations import service as integrations
from moysklad_connector.settings import ConnectorSettings
from moysklad_simulator import Settings as SimSettings
from moysklad_simulator.testing import RunningSimulator

ANCHOR = "2026-01-15 00:00:00"


def connector_settings(**overrides: object) -> ConnectorSettings:
    # Fast pacing for tests: the simulator's rate limit is what the tests that need it turn on.
    base: dict[str, object] = {
        "database_url": test_database_url(),
        "kafka_bootstrap_servers": kafka_servers(),
        "scheduler_enabled": False,
        "request_weight": 2,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 1.0,
    }
    base.update(overrides)
    return ConnectorSettings(**base)  # type: ignore[arg-type]


def sim_settings(seed: int, **overrides: object) -> SimSettings:
    # With limits off the simulator still announces its bucket in the headers, and the client paces itself by them:
    # a big bucket keeps tests fast. Tests of rate limiting set real numbers.
    base: dict[str, object] = {
        "scale": "tiny",
        "seed": seed,
        "anchor": ANCHOR,
        "rate_limits_enabled": False,
        "rate_limit_units": 4500,
    }
    base.update(overrides)
    return SimSettings(**base)  # type: ignore[arg-type]


async def register(
    sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings, sim: RunningSimulator, **overrides: str
) -> str:
    """Store an integration pointing at ``sim``; returns its id (unique per test)."""
    integration_id = overrides.pop("integration_id", f"it-{uuid.uuid4().hex[:12]}")
    creds = {"username": sim.settings.login, "password": sim.settings.password.get_secret_value(), "token": None}
    creds.update(overrides)
    async with transaction(sessions) as session:
        await integrations.save(session, settings, integration_id, base_url=sim.api_url, **creds)  # type: ignore[arg-type]
    return integration_id


async def account_events(topic: str, account_id: str, idle: float = 1.5) -> list[EventEnvelope]:
    """Every event of ``account_id`` on ``topic`` so far (tests share topics; accounts keep them apart)."""
    return [e for e in await read_events(topic, idle=idle) if e.account_id == account_id]


def touch_product(sim: RunningSimulator, product_id: str, name: str) -> None:
    """Change a product in the simulator the way MoySklad would: new field value, new `updated`."""
    record = sim.state.get("product", product_id)
    assert record is not None
    record["name"] = name
    record["updated"] = sim.state.next_updated()


def delete_product(sim: RunningSimulator, product_id: str) -> None:
    """Hard-delete a product and record it in the audit feed, as MoySklad does."""
    from moysklad_simulator.audit import record_event

    record = sim.state.remove("product", product_id)
    assert record is not None
    record_event(sim.state, "delete", record["_ref"], record["name"], {"name": {"oldValue": record["name"]}})


ADMIN_MINT = TokenMint()  # the key the admin-API tests' server trusts (tests/integrations/conftest.py)

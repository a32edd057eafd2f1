"""``crm-moysklad-connector sync``: one sync in the foreground for the environment's (default) integration."""

from __future__ import annotations

import pytest
from connector_testkit import account_events, connector_settings

from crm_common.events.topics import PRODUCTS
from moysklad_connector.main import main, run_sync
from moysklad_simulator.testing import RunningSimulator


async def test_sync_command_syncs_the_default_integration(sim: RunningSimulator, migrated: None) -> None:
    settings = connector_settings(
        moysklad_base_url=sim.api_url,
        moysklad_username=sim.settings.login,
        moysklad_password=sim.settings.password.get_secret_value(),
    )
    status = await run_sync(settings, "default", "full")
    assert status == "succeeded"
    published = {e.entity_id for e in await account_events(PRODUCTS.name, sim.state.account_id)}
    assert published == {r["id"] for t in ("product", "service", "bundle") for r in sim.state.records(t)}


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2

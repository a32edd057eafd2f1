"""``crm-bitrix24-connector sync``: one sync in the foreground for the environment's (default) integration."""

from __future__ import annotations

import pytest
from b24_testkit import connector_settings, portal_events
from pydantic import SecretStr

from bitrix24_connector.main import main, run_sync
from bitrix24_simulator.testing import RunningSimulator
from crm_common.events.topics import DEALS


async def test_sync_command_syncs_the_default_integration(sim: RunningSimulator, migrated: None) -> None:
    settings = connector_settings(webhook_url=SecretStr(sim.webhook_url))
    status = await run_sync(settings, "default", "full")
    assert status == "succeeded"
    published = {e.entity_id for e in await portal_events(DEALS.name, sim)}
    assert published == {d["ID"] for d in sim.portal.records("deal")}


async def test_without_a_webhook_url_there_is_no_default_integration(migrated: None) -> None:
    with pytest.raises(SystemExit):
        await run_sync(connector_settings(), "default", "full")


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2

"""Objects a sync cannot map are counted on the job, kept with their raw body, listed and re-drivable by an admin."""

from __future__ import annotations

import httpx
from connector_testkit import ADMIN_MINT, account_events

from crm_common.events.topics import STORES
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator

ADMIN = "admin:integrations"


async def test_a_store_without_account_id_is_skipped_visibly_and_redriven_after_the_fix(
    api: str, sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    store = sim.state.records("store")[0]
    account_id = store.pop("accountId")

    job = await service.run(integration, "full", "manual")

    assert job.status == "succeeded_with_skipped"
    assert sum(job.skipped["store"].values()) == 1, job.skipped
    [reason] = job.skipped["store"]
    assert "accountId" in reason
    headers = ADMIN_MINT.headers(ADMIN)
    async with httpx.AsyncClient(base_url=api, timeout=60, headers=headers) as client:
        listed = (await client.get("/api/v1/admin/sync/skipped", params={"job_id": str(job.id)})).json()
        [letter] = listed["items"]
        assert (letter["entity_type"], letter["entity_id"]) == ("store", store["id"])
        assert letter["raw"]["name"] == store["name"]
        still_broken = await client.post(f"/api/v1/admin/sync/skipped/{letter['id']}/redrive")
        store["accountId"] = account_id  # the fix
        redriven = await client.post(f"/api/v1/admin/sync/skipped/{letter['id']}/redrive")
        again = await client.post(f"/api/v1/admin/sync/skipped/{letter['id']}/redrive")

    assert still_broken.status_code == 409, still_broken.text
    assert still_broken.json()["error"] == "Conflict"
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["redriven_at"] is not None
    assert again.status_code == 409
    published = await account_events(STORES.name, sim.state.account_id)
    assert store["id"] in {e.entity_id for e in published}


async def test_a_clean_sync_is_plain_succeeded_with_nothing_skipped(integration: str, service: SyncService) -> None:
    job = await service.run(integration, "full", "manual")
    assert (job.status, job.skipped) == ("succeeded", {})

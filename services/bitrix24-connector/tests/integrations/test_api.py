"""``/api/v1/admin/bitrix24/integrations`` and ``/sync`` on a real socket: the webhook URL stored encrypted and
never returned, create -> update -> update -> delete, the test endpoint, a sync started and its skipped records."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from b24_testkit import ADMIN_MINT
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.tables import Integration
from bitrix24_simulator.testing import RunningSimulator
from crm_common.db import transaction

INTEGRATIONS = "/api/v1/admin/bitrix24/integrations"
SYNC = "/api/v1/admin/bitrix24/sync"
ADMIN = ("admin:integrations", "sync:run")


def admin(api: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=api, timeout=30, headers=ADMIN_MINT.headers(*ADMIN))


async def test_create_update_update_delete_keeps_the_webhook_secret(
    api: str, sim: RunningSimulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    portal_id = f"portal-{uuid.uuid4().hex[:8]}"
    code = sim.settings.webhook_code.get_secret_value()
    wrong = sim.webhook_url.replace(code, "wrongcode")
    async with admin(api) as client:
        created = await client.put(INTEGRATIONS, json={"id": portal_id, "webhook_url": wrong})
        refused = await client.post(f"{INTEGRATIONS}/test", json={"integration_id": portal_id})
        updated = await client.put(INTEGRATIONS, json={"id": portal_id, "webhook_url": sim.webhook_url})
        accepted = await client.post(f"{INTEGRATIONS}/test", json={"integration_id": portal_id})
        disabled = await client.put(
            INTEGRATIONS, json={"id": portal_id, "webhook_url": sim.webhook_url, "enabled": False}
        )
        listed = await client.get(INTEGRATIONS)
        async with transaction(sessions) as session:
            row = await session.get(Integration, portal_id)
            assert row is not None
            stored = row.secret_encrypted
        deleted = await client.delete(f"{INTEGRATIONS}/{portal_id}")
        again = await client.delete(f"{INTEGRATIONS}/{portal_id}")
        after = await client.get(INTEGRATIONS)
    assert created.status_code == updated.status_code == disabled.status_code == 200, created.text
    assert refused.status_code == 400
    assert "NO_AUTH_FOUND" in refused.json()["detail"]
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["account_id"] == sim.base_url.split("://")[1]
    assert disabled.json()["enabled"] is False
    assert disabled.json()["health"] == "disabled"
    assert disabled.json()["base_url"] == f"{sim.base_url}/rest/"
    for answer in (created, updated, disabled, listed):
        assert code not in answer.text
        assert "wrongcode" not in answer.text
    assert code.encode() not in stored
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert portal_id not in [i["id"] for i in after.json()]


async def test_a_url_that_is_not_an_incoming_webhook_is_refused(api: str) -> None:
    async with admin(api) as client:
        response = await client.put(INTEGRATIONS, json={"id": "x", "webhook_url": "https://portal.example/api/"})
    assert response.status_code == 422


async def test_integrations_need_the_admin_permission(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=ADMIN_MINT.headers("sync:run")) as client:
        response = await client.get(INTEGRATIONS)
    assert response.status_code == 403


async def test_a_sync_started_through_the_api_runs_and_lists_skipped_records(api: str, sim: RunningSimulator) -> None:
    portal_id = f"portal-{uuid.uuid4().hex[:8]}"
    deal = sim.portal.records("deal")[0]
    deal["STAGE_SEMANTIC_ID"] = "?"  # a record the connector cannot read
    async with admin(api) as client:
        await client.put(INTEGRATIONS, json={"id": portal_id, "webhook_url": sim.webhook_url})
        started = await client.post(f"{SYNC}/start", json={"integration_id": portal_id, "mode": "full"})
        job_id = started.json()["id"]
        job = started.json()
        for _ in range(100):
            job = (await client.get(f"{SYNC}/jobs/{job_id}")).json()
            if job["status"] != "running":
                break
            await asyncio.sleep(0.1)
        skipped = (await client.get(f"{SYNC}/skipped", params={"job_id": job_id})).json()
        deal["STAGE_SEMANTIC_ID"] = "P"  # fixed at the source: the re-drive publishes it
        redriven = await client.post(f"{SYNC}/skipped/{skipped['items'][0]['id']}/redrive")
        twice = await client.post(f"{SYNC}/skipped/{skipped['items'][0]['id']}/redrive")
    assert started.status_code == 202, started.text
    assert job["status"] == "succeeded_with_skipped", job
    assert job["counts"]["deal"] == len(sim.portal.records("deal")) - 1
    assert [(s["entity_type"], s["entity_id"]) for s in skipped["items"]] == [("deal", deal["ID"])]
    assert "STAGE_SEMANTIC_ID" in skipped["items"][0]["reason"]
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["redriven_at"] is not None
    assert twice.status_code == 409

"""``/api/v1/admin/integrations`` on a real socket: secrets stored encrypted, never returned; the test endpoint."""

from __future__ import annotations

import uuid

import httpx
from connector_testkit import ADMIN_MINT
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from moysklad_connector.sync.service import SyncService
from moysklad_connector.tables import Integration
from moysklad_simulator.testing import RunningSimulator

mint = ADMIN_MINT
ADMIN = "admin:integrations"


def body(sim: RunningSimulator, integration_id: str, password: str | None = None) -> dict[str, object]:
    return {
        "id": integration_id,
        "base_url": sim.api_url,
        "username": sim.settings.login,
        "password": password or sim.settings.password.get_secret_value(),
    }


async def test_put_stores_the_password_encrypted_and_never_returns_it(
    api: str, sim: RunningSimulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    password = sim.settings.password.get_secret_value()
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        put = await client.put("/api/v1/admin/integrations", json=body(sim, "shop-put"))
        listed = await client.get("/api/v1/admin/integrations")
    assert put.status_code == 200, put.text
    assert password not in put.text
    assert password not in listed.text
    assert "shop-put" in [i["id"] for i in listed.json()]
    async with transaction(sessions) as session:
        row = await session.get(Integration, "shop-put")
    assert row is not None
    assert password.encode() not in row.secret_encrypted


async def test_test_endpoint_accepts_good_credentials(api: str, sim: RunningSimulator) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        response = await client.post("/api/v1/admin/integrations/test", json={"integration": body(sim, "x")})
    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == sim.state.account_id


async def test_test_endpoint_answers_400_for_wrong_credentials(api: str, sim: RunningSimulator) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        await client.put("/api/v1/admin/integrations", json=body(sim, "shop-bad", password="wrong"))
        response = await client.post("/api/v1/admin/integrations/test", json={"integration_id": "shop-bad"})
    assert response.status_code == 400
    assert "credentials" in response.json()["detail"]


async def test_integrations_need_the_admin_permission(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers("sync:run")) as client:
        response = await client.get("/api/v1/admin/integrations")
    assert response.status_code == 403


async def test_a_second_put_with_the_same_id_updates_credentials_and_enabled(api: str, sim: RunningSimulator) -> None:
    shop = f"shop-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        first = await client.put("/api/v1/admin/integrations", json=body(sim, shop, password="wrong"))
        second = await client.put("/api/v1/admin/integrations", json={**body(sim, shop), "enabled": False})
        checked = await client.post("/api/v1/admin/integrations/test", json={"integration_id": shop})
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json()["enabled"] is False
    assert second.json()["health"] == "disabled"
    assert checked.status_code == 200, checked.text  # the fixed password is the one stored


async def test_delete_removes_the_integration_and_a_second_delete_is_404(api: str, sim: RunningSimulator) -> None:
    shop = f"shop-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        await client.put("/api/v1/admin/integrations", json=body(sim, shop))
        deleted = await client.delete(f"/api/v1/admin/integrations/{shop}")
        listed = await client.get("/api/v1/admin/integrations")
        again = await client.delete(f"/api/v1/admin/integrations/{shop}")
    assert deleted.status_code == 204
    assert shop not in [i["id"] for i in listed.json()]
    assert again.status_code == 404
    assert again.json()["error"] == "NotFound"


async def test_a_test_and_a_sync_fill_account_id_and_the_list_shows_the_last_sync(
    api: str, sim: RunningSimulator, service: SyncService
) -> None:
    shop = f"shop-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=mint.headers(ADMIN)) as client:
        await client.put("/api/v1/admin/integrations", json=body(sim, shop))
        await client.post("/api/v1/admin/integrations/test", json={"integration_id": shop})
        after_test = await client.get("/api/v1/admin/integrations")
        job = await service.run(shop, "full", "manual")
        after_sync = await client.get("/api/v1/admin/integrations")
    tested = next(i for i in after_test.json() if i["id"] == shop)
    synced = next(i for i in after_sync.json() if i["id"] == shop)
    assert tested["account_id"] == sim.state.account_id
    assert tested["health"] == "never_synced"
    assert synced["last_sync"]["job_id"] == str(job.id)
    assert synced["last_sync"]["status"] == job.status
    assert synced["health"] in ("ok", "degraded")

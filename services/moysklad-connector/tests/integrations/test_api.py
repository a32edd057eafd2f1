"""``/api/v1/admin/integrations`` on a real socket: secrets stored encrypted, never returned; the test endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from connector_testkit import TokenMint, connector_settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.testing import serve_in_thread
from moysklad_connector.app import create_app
from moysklad_connector.integrations.models import Integration
from moysklad_simulator.testing import RunningSimulator

mint = TokenMint()
ADMIN = "admin:integrations"


@pytest.fixture(scope="module")
def api(migrated: None) -> Iterator[str]:
    app = create_app(connector_settings(create_topics=False), token_verifier=mint.verifier)
    with serve_in_thread(app) as url:
        yield url


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

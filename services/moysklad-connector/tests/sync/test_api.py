"""``/api/v1/admin/sync`` on a real socket, with the app's own lifespan (Postgres, Kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from connector_testkit import TokenMint, connector_settings

from crm_common.errors import Conflict
from crm_testing import serve_in_thread
from moysklad_connector.app import create_app
from moysklad_connector.sync.service import SyncService

mint = TokenMint()


@pytest.fixture(scope="module")
def api(migrated: None) -> Iterator[str]:
    app = create_app(connector_settings(create_topics=False), token_verifier=mint.verifier)
    with serve_in_thread(app) as url:
        yield url


async def wait_finished(client: httpx.AsyncClient, job_id: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(300):
        job = (await client.get(f"/api/v1/admin/sync/jobs/{job_id}", headers=headers)).json()
        if job["status"] != "running":
            return dict(job)
        await asyncio.sleep(0.1)
    raise AssertionError("job did not finish")


async def test_start_runs_a_sync_and_the_job_reports_counts(api: str, integration: str, broker: object) -> None:
    headers = mint.headers("sync:run")
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        response = await client.post(
            "/api/v1/admin/sync/start", json={"integration_id": integration, "mode": "full"}, headers=headers
        )
        assert response.status_code == 202, response.text
        job = await wait_finished(client, response.json()["id"], headers)
        listed = (
            await client.get("/api/v1/admin/sync/jobs", params={"integration_id": integration}, headers=headers)
        ).json()
    assert job["status"] == "succeeded", job
    assert job["counts"]["product"] > 0
    assert job["duration_seconds"] is not None
    assert [j["id"] for j in listed["items"]] == [job["id"]]


async def test_start_needs_the_sync_permission(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        forbidden = await client.post("/api/v1/admin/sync/start", headers=mint.headers("products:read"))
        anonymous = await client.get("/api/v1/admin/sync/jobs")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "Forbidden"
    assert anonymous.status_code == 401


async def test_unknown_job_is_404(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        response = await client.get(
            "/api/v1/admin/sync/jobs/8a0c3f0e-3b8e-4c11-9a43-55a0b7a3e000", headers=mint.headers("sync:run")
        )
    assert response.status_code == 404


async def test_unknown_integration_is_404(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        response = await client.post(
            "/api/v1/admin/sync/start", json={"integration_id": "nope"}, headers=mint.headers("sync:run")
        )
    assert response.status_code == 404


async def test_a_second_sync_of_one_integration_is_refused_while_one_runs(
    integration: str, service: SyncService
) -> None:
    job, lock = await service.begin(integration, "full", "manual")
    try:
        with pytest.raises(Conflict):
            await service.begin(integration, "incremental", "manual")
    finally:
        await service.execute(job, lock)


async def test_a_reconciliation_started_over_http_is_a_job_of_its_own_kind(
    api: str, integration: str, broker: object
) -> None:
    body = {"integration_id": integration, "mode": "reconcile"}
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        forbidden = await client.post("/api/v1/admin/sync/start", json=body, headers=mint.headers("inventory:write"))
        started = await client.post("/api/v1/admin/sync/start", json=body, headers=mint.headers("sync:run"))
        assert started.status_code == 202, started.text
        job = await wait_finished(client, started.json()["id"], mint.headers("sync:run"))
        unknown = await client.post(
            "/api/v1/admin/sync/start", json={**body, "mode": "purge"}, headers=mint.headers("sync:run")
        )

    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "Forbidden")
    assert (job["mode"], job["trigger"], job["status"]) == ("reconcile", "manual", "succeeded")
    assert {"listed", "known", "deleted", "requests"} <= set(job["counts"])  # type: ignore[arg-type]
    assert job["counts"]["listed"] > 0  # type: ignore[index]
    assert unknown.status_code == 422

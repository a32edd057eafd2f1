"""Roles are data: an edit made at run time changes what holders may do once their token is refreshed."""

from __future__ import annotations

import uuid
from typing import Any

from auth_testkit import bearer, client_for, login, make_user
from fastapi import FastAPI
from httpx import AsyncClient

from auth_service.context import AuthContext


async def _new_role(client: AsyncClient, admin: dict[str, str], permissions: list[str]) -> str:
    name = f"clerk-{uuid.uuid4().hex[:8]}"
    response = await client.post("/api/v1/admin/roles", json={"name": name, "permissions": permissions}, headers=admin)
    assert response.status_code == 201, response.text
    return name


async def _refresh(client: AsyncClient, tokens: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_role_edited_at_run_time_changes_access_after_refresh(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        role = await _new_role(client, admin, ["products:read"])
        clerk = await make_user(ctx)
        assert (
            await client.put(f"/api/v1/admin/users/{clerk.id}/roles", json={"roles": [role]}, headers=admin)
        ).status_code == 200
        tokens = await login(client, clerk.email)
        assert (await client.get("/api/v1/admin/users", headers=bearer(tokens))).status_code == 403

        edit = await client.patch(
            f"/api/v1/admin/roles/{role}", json={"permissions": ["products:read", "admin:users"]}, headers=admin
        )
        assert edit.status_code == 200
        assert (await client.get("/api/v1/admin/users", headers=bearer(tokens))).status_code == 403, (
            "the old token keeps its permissions until it is refreshed"
        )

        refreshed = await _refresh(client, tokens)
        assert (await client.get("/api/v1/admin/users", headers=bearer(refreshed))).status_code == 200

        await client.patch(f"/api/v1/admin/roles/{role}", json={"permissions": ["products:read"]}, headers=admin)
        again = await _refresh(client, refreshed)
        assert (await client.get("/api/v1/admin/users", headers=bearer(again))).status_code == 403
        me = (await client.get("/api/v1/auth/me", headers=bearer(again))).json()
        assert me["permissions"] == ["products:read"]


async def test_deleting_a_role_takes_its_permissions_away_on_refresh(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        role = await _new_role(client, admin, ["sync:run"])
        user = await make_user(ctx, ["viewer"])
        await client.put(f"/api/v1/admin/users/{user.id}/roles", json={"roles": ["viewer", role]}, headers=admin)
        tokens = await login(client, user.email)
        assert "sync:run" in (await client.get("/api/v1/auth/me", headers=bearer(tokens))).json()["permissions"]

        assert (await client.delete(f"/api/v1/admin/roles/{role}", headers=admin)).status_code == 204

        me = (await client.get("/api/v1/auth/me", headers=bearer(await _refresh(client, tokens)))).json()
        assert me["roles"] == ["viewer"]
        assert "sync:run" not in me["permissions"]


async def test_built_in_roles_cannot_be_deleted_and_admin_keeps_everything(
    app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        deleted = await client.delete("/api/v1/admin/roles/viewer", headers=admin)
        stripped = await client.patch("/api/v1/admin/roles/admin", json={"permissions": []}, headers=admin)
        admin_role = (await client.get("/api/v1/admin/roles/admin", headers=admin)).json()
        catalog = (await client.get("/api/v1/admin/permissions", headers=admin)).json()

    assert deleted.status_code == 409
    assert stripped.status_code == 409
    assert admin_role["permissions"] == sorted(p["name"] for p in catalog)


async def test_built_in_roles_match_the_architecture(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    async with client_for(app) as client:
        roles = {
            r["name"]: set(r["permissions"])
            for r in (await client.get("/api/v1/admin/roles?limit=200", headers=bearer(admin_tokens))).json()["items"]
        }
    reads = {"products:read", "inventory:read", "analytics:read", "notifications:read"}

    assert roles["viewer"] == reads
    assert roles["manager"] == reads | {"sync:run", "customers:write"}
    assert {"admin:users", "admin:integrations", "sync:run", "admin:health", "inventory:write"} <= roles["admin"]


async def test_a_role_with_an_unknown_permission_is_refused(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    async with client_for(app) as client:
        response = await client.post(
            "/api/v1/admin/roles",
            json={"name": f"x-{uuid.uuid4().hex[:6]}", "permissions": ["root:everything"]},
            headers=bearer(admin_tokens),
        )

    assert response.status_code == 422
    assert "root:everything" in response.json()["detail"]

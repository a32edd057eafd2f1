from __future__ import annotations

import json
import uuid
from typing import Any

from auth_testkit import bearer, client_for, login, make_user, unique_email
from fastapi import FastAPI

from auth_service.context import AuthContext

AUDIT = "/api/v1/admin/audit"


async def test_admin_actions_are_recorded_with_who_what_and_where(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    admin = bearer(admin_tokens)
    password = "a secret long passphrase"
    async with client_for(app, "10.20.30.40") as client:
        me = (await client.get("/api/v1/auth/me", headers=admin)).json()
        created = (
            await client.post(
                "/api/v1/admin/users", json={"email": unique_email(), "password": password, "roles": []}, headers=admin
            )
        ).json()
        await client.put(f"/api/v1/admin/users/{created['id']}/roles", json={"roles": ["viewer"]}, headers=admin)
        reset = (await client.post(f"/api/v1/admin/users/{created['id']}/password-reset", headers=admin)).json()
        role = f"auditor-{uuid.uuid4().hex[:6]}"
        await client.post("/api/v1/admin/roles", json={"name": role, "permissions": []}, headers=admin)
        trail = (await client.get(AUDIT, params={"actor_id": me["id"]}, headers=admin)).json()

    actions = [e["action"] for e in trail["items"]]
    assert actions == ["role.created", "user.password_reset_issued", "user.roles_assigned", "user.created"]
    entry = trail["items"][-1]
    assert entry["actor_email"] == me["email"]
    assert entry["target_type"] == "user"
    assert entry["target_id"] == created["id"]
    assert entry["ip"] == "10.20.30.40"
    assert entry["request_id"]
    dumped = json.dumps(trail)
    assert password not in dumped
    assert reset["reset_token"] not in dumped
    assert admin_tokens["access_token"] not in dumped


async def test_session_revocations_are_recorded(ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    admin = bearer(admin_tokens)
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        sid = (await client.get("/api/v1/auth/me", headers=bearer(await login(client, user.email)))).json()[
            "session_id"
        ]
        await client.delete(f"/api/v1/admin/users/{user.id}/sessions/{sid}", headers=admin)
        trail = (await client.get(AUDIT, params={"target_id": sid}, headers=admin)).json()

    assert [e["action"] for e in trail["items"]] == ["session.revoked"]
    assert trail["items"][0]["details"] == {"user_id": str(user.id)}


async def test_the_audit_trail_is_for_admins_only(app: FastAPI, viewer_tokens: dict[str, Any]) -> None:
    async with client_for(app) as client:
        response = await client.get(AUDIT, headers=bearer(viewer_tokens))

    assert response.status_code == 403

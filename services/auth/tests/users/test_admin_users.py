from __future__ import annotations

from typing import Any

from auth_testkit import PASSWORD, bearer, client_for, login, make_user, unique_email
from fastapi import FastAPI
from httpx import AsyncClient

from auth_service.context import AuthContext

USERS = "/api/v1/admin/users"


async def _create(client: AsyncClient, admin: dict[str, str], **values: Any) -> Any:
    body = {"email": unique_email("new"), "password": "a long new passphrase", **values}
    return await client.post(USERS, json=body, headers=admin)


async def test_an_admin_creates_a_user_who_can_log_in(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        email = unique_email("New.Person")
        response = await _create(client, admin, email=email.upper(), roles=["manager"])
        tokens = await login(client, email, "a long new passphrase")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email.lower()
    assert body["roles"] == ["manager"]
    assert "password" not in str(body).lower()
    assert tokens["access_token"]


async def test_creating_a_duplicate_email_conflicts(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        first = await _create(client, admin)
        again = await _create(client, admin, email=first.json()["email"].upper())

    assert again.status_code == 409
    assert again.json()["error"] == "Conflict"


async def test_a_weak_password_or_unknown_role_is_refused(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        weak = await _create(client, admin, password="password123")
        unknown_role = await _create(client, admin, roles=["superuser"])
        bad_email = await _create(client, admin, email="not-an-email")

    assert (weak.status_code, unknown_role.status_code, bad_email.status_code) == (422, 422, 422)


async def test_list_users_filters_sorts_and_counts(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    tag = unique_email("tagged").split("@")[0]
    for i in range(3):
        await make_user(ctx, ["viewer"], email=f"{tag}-{i}@example.com")
    async with client_for(app) as client:
        response = await client.get(
            USERS, params={"email": tag, "sort": "email", "direction": "desc", "limit": 2}, headers=bearer(admin_tokens)
        )

    body = response.json()
    assert body["total"] == 3
    assert [u["email"] for u in body["items"]] == [f"{tag}-2@example.com", f"{tag}-1@example.com"]


async def test_deactivating_a_user_revokes_their_sessions(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        tokens = await login(client, user.email)
        response = await client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=bearer(admin_tokens))
        me = await client.get("/api/v1/auth/me", headers=bearer(tokens))
        refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        relogin = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (me.status_code, refresh.status_code, relogin.status_code) == (401, 401, 401)


async def test_an_admin_cannot_deactivate_or_delete_themselves(app: FastAPI, admin_tokens: dict[str, Any]) -> None:
    async with client_for(app) as client:
        me = (await client.get("/api/v1/auth/me", headers=bearer(admin_tokens))).json()
        patch = await client.patch(f"{USERS}/{me['id']}", json={"is_active": False}, headers=bearer(admin_tokens))
        delete = await client.delete(f"{USERS}/{me['id']}", headers=bearer(admin_tokens))

    assert (patch.status_code, delete.status_code) == (409, 409)


async def test_deleting_a_user_ends_their_sessions_and_account(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        tokens = await login(client, user.email)
        deleted = await client.delete(f"{USERS}/{user.id}", headers=bearer(admin_tokens))
        me = await client.get("/api/v1/auth/me", headers=bearer(tokens))
        shown = await client.get(f"{USERS}/{user.id}", headers=bearer(admin_tokens))

    assert (deleted.status_code, me.status_code, shown.status_code) == (204, 401, 404)


async def test_an_admin_lists_and_revokes_a_users_sessions(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    admin = bearer(admin_tokens)
    user = await make_user(ctx, ["viewer"])
    async with client_for(app, "10.9.8.7") as client:
        first = await login(client, user.email)
        second = await login(client, user.email)
        listed = (await client.get(f"{USERS}/{user.id}/sessions", headers=admin)).json()
        me = (await client.get("/api/v1/auth/me", headers=bearer(first))).json()
        revoked = await client.delete(f"{USERS}/{user.id}/sessions/{me['session_id']}", headers=admin)
        first_after = await client.get("/api/v1/auth/me", headers=bearer(first))
        second_after = await client.get("/api/v1/auth/me", headers=bearer(second))
        all_revoked = await client.delete(f"{USERS}/{user.id}/sessions", headers=admin)
        second_final = await client.get("/api/v1/auth/me", headers=bearer(second))
        after = (await client.get(f"{USERS}/{user.id}/sessions", headers=admin)).json()

    assert len(listed) == 2
    assert {s["ip"] for s in listed} == {"10.9.8.7"}
    assert revoked.status_code == 204
    assert (first_after.status_code, second_after.status_code) == (401, 200)
    assert all_revoked.status_code == 204
    assert second_final.status_code == 401
    assert all(s["revoked_at"] for s in after)


async def test_revoking_a_session_of_another_user_is_not_found(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    owner, other = await make_user(ctx, ["viewer"]), await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        me = (await client.get("/api/v1/auth/me", headers=bearer(await login(client, owner.email)))).json()
        response = await client.delete(f"{USERS}/{other.id}/sessions/{me['session_id']}", headers=bearer(admin_tokens))

    assert response.status_code == 404

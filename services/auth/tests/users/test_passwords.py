from __future__ import annotations

from typing import Any

from auth_testkit import PASSWORD, bearer, client_for, login, make_user
from fastapi import FastAPI

from auth_service.context import AuthContext

NEW = "a fresh long passphrase"


async def test_changing_the_password_keeps_this_session_and_ends_the_others(ctx: AuthContext, app: FastAPI) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        here, elsewhere = await login(client, user.email), await login(client, user.email)
        response = await client.post(
            "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=bearer(here)
        )
        here_me = await client.get("/api/v1/auth/me", headers=bearer(here))
        elsewhere_me = await client.get("/api/v1/auth/me", headers=bearer(elsewhere))
        old = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        new = await client.post("/api/v1/auth/login", json={"email": user.email, "password": NEW})

    assert response.status_code == 204
    assert (here_me.status_code, elsewhere_me.status_code) == (200, 401)
    assert (old.status_code, new.status_code) == (401, 200)


async def test_changing_the_password_needs_the_current_one_and_the_policy(ctx: AuthContext, app: FastAPI) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        tokens = await login(client, user.email)
        wrong = await client.post(
            "/api/v1/auth/password",
            json={"current_password": "not it at all", "new_password": NEW},
            headers=bearer(tokens),
        )
        weak = await client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "short"},
            headers=bearer(tokens),
        )

    assert (wrong.status_code, weak.status_code) == (422, 422)
    assert "current password" in wrong.json()["detail"]


async def test_a_reset_token_sets_a_new_password_once_and_ends_every_session(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        tokens = await login(client, user.email)
        issued = await client.post(f"/api/v1/admin/users/{user.id}/password-reset", headers=bearer(admin_tokens))
        token = issued.json()["reset_token"]
        reset = await client.post("/api/v1/auth/password/reset", json={"token": token, "new_password": NEW})
        again = await client.post("/api/v1/auth/password/reset", json={"token": token, "new_password": NEW + "!"})
        me = await client.get("/api/v1/auth/me", headers=bearer(tokens))
        relogin = await client.post("/api/v1/auth/login", json={"email": user.email, "password": NEW})

    assert issued.status_code == 201
    assert reset.status_code == 204
    assert again.status_code == 422
    assert me.status_code == 401
    assert relogin.status_code == 200


async def test_a_new_reset_token_voids_the_previous_one(
    ctx: AuthContext, app: FastAPI, admin_tokens: dict[str, Any]
) -> None:
    user = await make_user(ctx, ["viewer"])
    path = f"/api/v1/admin/users/{user.id}/password-reset"
    async with client_for(app) as client:
        first = (await client.post(path, headers=bearer(admin_tokens))).json()["reset_token"]
        await client.post(path, headers=bearer(admin_tokens))
        response = await client.post("/api/v1/auth/password/reset", json={"token": first, "new_password": NEW})

    assert response.status_code == 422


async def test_a_login_rehashes_a_password_stored_with_old_parameters(ctx: AuthContext, app: FastAPI) -> None:
    from auth_service.passwords.hashing import PasswordHasher
    from auth_service.users.repository import UserRepository
    from crm_common.db import transaction

    user = await make_user(ctx, ["viewer"])
    weaker = PasswordHasher(memory_kib=512, time_cost=1, parallelism=1)
    async with transaction(ctx.sessions) as session:
        stored = await UserRepository(session).get(user.id)
        assert stored is not None
        stored.password_hash = weaker.hash_sync(PASSWORD)

    async with client_for(app) as client:
        await login(client, user.email)

    async with ctx.sessions() as session:
        stored = await UserRepository(session).get(user.id)
    assert stored is not None
    assert not ctx.hasher.needs_rehash(stored.password_hash)

from __future__ import annotations

import asyncio

import pytest
from auth_testkit import client_for, login, make_user, unique_email
from pydantic import SecretStr, ValidationError

from auth_service.bootstrap import BootstrapRefused, admin_credentials, create_admin, refuse_default_admin
from auth_service.context import AuthContext
from auth_service.main import main
from auth_service.settings import AuthSettings
from crm_common.db import transaction

REAL_SECRET = "a-real-secret-key-for-the-tests-0123456789"


def _production(**values: object) -> AuthSettings:
    return AuthSettings(environment="production", secret_key=SecretStr(REAL_SECRET), **values)  # type: ignore[arg-type]


def test_development_defaults_to_the_documented_admin() -> None:
    creds = admin_credentials(AuthSettings(environment="development"))  # type: ignore[arg-type]

    assert (creds.email, creds.password) == ("admin@example.com", "admin123")


def test_outside_development_the_admin_must_be_configured() -> None:
    with pytest.raises(BootstrapRefused, match="AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD are required"):
        admin_credentials(_production())


def test_outside_development_the_default_email_is_refused() -> None:
    settings = _production(admin_email="admin@example.com", admin_password=SecretStr("a long unique passphrase 42"))
    with pytest.raises(BootstrapRefused, match="development admin"):
        admin_credentials(settings)


def test_outside_development_the_default_password_refuses_to_load() -> None:
    with pytest.raises(ValidationError, match="AUTH_ADMIN_PASSWORD is the development default"):
        _production(admin_email="ops@example.com", admin_password=SecretStr("admin123"))


def test_outside_development_a_weak_admin_password_is_refused() -> None:
    with pytest.raises(BootstrapRefused, match="at least"):
        admin_credentials(_production(admin_email="ops@example.com", admin_password=SecretStr("short")))


def test_outside_development_the_default_secret_key_refuses_to_load() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        AuthSettings(environment="production")  # type: ignore[arg-type]


async def test_create_admin_command_creates_an_admin_who_can_log_in(
    ctx: AuthContext, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    email, password = unique_email("ops"), "a long unique passphrase 42"
    monkeypatch.setenv("AUTH_ADMIN_EMAIL", email)
    monkeypatch.setenv("AUTH_ADMIN_PASSWORD", password)

    await asyncio.to_thread(main, ["create-admin"])

    async with client_for(app) as client:  # type: ignore[arg-type]
        tokens = await login(client, email, password)
        me = (await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert me["roles"] == ["admin"]
    assert "admin:users" in me["permissions"]


async def test_create_admin_twice_keeps_the_password_and_the_other_roles(
    ctx: AuthContext, settings: AuthSettings
) -> None:
    user = await make_user(ctx, ["viewer"])
    creds = admin_credentials(settings.model_copy(update={"admin_email": user.email}))
    async with transaction(ctx.sessions) as session:
        created = await create_admin(session, settings, ctx.hasher, creds)

    assert created is False
    async with ctx.sessions() as session:
        from auth_service.users.repository import UserRepository

        stored = await UserRepository(session).get(user.id)
        roles = await UserRepository(session).role_names([user.id])
    assert stored is not None
    assert await ctx.hasher.verify(stored.password_hash, "correct horse battery staple")
    assert roles[user.id] == ["admin", "viewer"]


async def test_create_admin_command_exits_2_outside_development_without_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", REAL_SECRET)
    monkeypatch.delenv("AUTH_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("AUTH_ADMIN_PASSWORD", raising=False)

    with pytest.raises(SystemExit) as exit_:
        await asyncio.to_thread(main, ["create-admin"])

    assert exit_.value.code == 2
    assert "AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD are required" in capsys.readouterr().err


async def test_outside_development_start_up_refuses_the_default_admin_password(ctx: AuthContext) -> None:
    settings = _production(admin_email="ops@example.com", admin_password=SecretStr("a long unique passphrase 42"))
    creds = admin_credentials(AuthSettings(environment="development"))  # type: ignore[arg-type]
    async with transaction(ctx.sessions) as session:
        await create_admin(session, settings, ctx.hasher, creds)

    async with ctx.sessions() as session:
        with pytest.raises(BootstrapRefused, match="still has the development password"):
            await refuse_default_admin(session, settings, ctx.hasher)

"""Bootstrap: the first admin account, and refusing to run with default credentials outside development."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.context import normalize_email
from auth_service.db import utcnow
from auth_service.passwords.hashing import PasswordHasher
from auth_service.passwords.policy import check_password
from auth_service.roles.builtin import ADMIN_ROLE
from auth_service.roles.repository import RoleRepository
from auth_service.settings import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD, AuthSettings
from auth_service.users.models import User
from auth_service.users.repository import UserRepository
from crm_common.errors import InfrastructureMissing


class BootstrapRefused(RuntimeError):
    """The configuration must not be used to create an admin (or to start)."""


@dataclass(frozen=True)
class AdminCredentials:
    email: str
    password: str


def admin_credentials(settings: AuthSettings) -> AdminCredentials:
    """The admin to create: from AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD, or the documented defaults in development."""
    email = settings.admin_email
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    if settings.is_development:
        creds = AdminCredentials(normalize_email(email or DEV_ADMIN_EMAIL), password or DEV_ADMIN_PASSWORD)
        if creds.password != DEV_ADMIN_PASSWORD:
            check_password(creds.password, email=creds.email, min_length=settings.password_min_length, max_length=1024)
        return creds
    if not email or not password:
        raise BootstrapRefused(
            f"AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD are required when ENVIRONMENT={settings.environment.value}"
        )
    if normalize_email(email) == DEV_ADMIN_EMAIL or password == DEV_ADMIN_PASSWORD:
        raise BootstrapRefused("the development admin email or password cannot be used outside development")
    try:
        check_password(password, email=email, min_length=settings.password_min_length, max_length=1024)
    except Exception as exc:
        raise BootstrapRefused(f"AUTH_ADMIN_PASSWORD: {exc}") from exc
    return AdminCredentials(normalize_email(email), password)


async def create_admin(
    session: AsyncSession, settings: AuthSettings, hasher: PasswordHasher, creds: AdminCredentials
) -> bool:
    """Create the admin, or make sure an existing account with that email is an active admin (password untouched).

    Returns whether a new account was created.
    """
    role = await RoleRepository(session).by_name(ADMIN_ROLE)
    if role is None:
        raise BootstrapRefused("the built-in admin role is missing: run `crm-auth migrate` first")
    users = UserRepository(session)
    user = await users.by_email(creds.email)
    created = user is None
    if user is None:
        now = utcnow()
        user = User(
            email=creds.email,
            password_hash=await hasher.hash(creds.password),
            is_active=True,
            created_at=now,
            updated_at=now,
            password_changed_at=now,
        )
        await users.add(user)
    user.is_active = True
    existing = await users.role_names([user.id])
    current_roles = await RoleRepository(session).by_names(existing.get(user.id, []))
    await users.set_roles(user.id, {role.id, *(r.id for r in current_roles)})
    return created


async def refuse_default_admin(session: AsyncSession, settings: AuthSettings, hasher: PasswordHasher) -> None:
    """Outside development, refuse to start while the development admin still has its default password."""
    if settings.is_development:
        return
    user = await UserRepository(session).by_email(DEV_ADMIN_EMAIL)
    if user is not None and user.is_active and await hasher.verify(user.password_hash, DEV_ADMIN_PASSWORD):
        raise BootstrapRefused(
            f"{DEV_ADMIN_EMAIL} still has the development password while ENVIRONMENT={settings.environment.value}; "
            "change it or deactivate the account"
        )


async def require_migrated(session: AsyncSession, where: str) -> None:
    """Fail start-up with the command to run, rather than a stack trace on the first query, if never migrated."""
    found = await session.execute(text("select to_regclass('auth.alembic_version') is not null"))
    if not found.scalar_one():
        raise InfrastructureMissing("the auth schema", where, "it is not migrated; run `crm-auth migrate`")

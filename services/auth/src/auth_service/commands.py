"""What ``crm-auth`` does besides serving: the permission sync after ``migrate``, ``create-admin``, ``rotate-keys``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

import crm_common.cli as cli
from auth_service.bootstrap import BootstrapRefused, admin_credentials, create_admin
from auth_service.context import make_hasher
from auth_service.db import SCHEMA
from auth_service.keys.service import create_key
from auth_service.roles.builtin import sync_permissions
from auth_service.settings import AuthSettings
from crm_common.db import run_in_transaction

T = TypeVar("T")


def _in_transaction(settings: AuthSettings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    return run_in_transaction(settings, SCHEMA, work)


def sync_permission_catalog(settings: AuthSettings) -> None:
    """After ``migrate``: the permissions the code knows are in the database (roles can be granted them at once)."""
    added = _in_transaction(settings, sync_permissions)
    print(f"auth schema migrated; permissions added: {added or 'none'}")


def create_admin_command(_: argparse.Namespace, settings: AuthSettings) -> None:
    try:
        creds = admin_credentials(settings)
    except BootstrapRefused as exc:
        cli.fail(str(exc))
        return
    hasher = make_hasher(settings)
    try:
        created = _in_transaction(settings, lambda s: create_admin(s, settings, hasher, creds))
    except BootstrapRefused as exc:
        cli.fail(str(exc))
        return
    print(f"admin {creds.email} {'created' if created else 'already existed; admin role ensured'}")


def rotate_keys(_: argparse.Namespace, settings: AuthSettings) -> None:
    key = _in_transaction(settings, lambda s: create_key(s, settings))
    print(
        f"signing key {key.kid} is now current and published; running processes sign with it within "
        f"{settings.keyring_refresh_seconds:g}s; the previous key stays published for {settings.key_publish_grace}"
    )

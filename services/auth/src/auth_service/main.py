"""``crm-auth``: serve, migrate, create-admin, rotate-keys."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

import crm_common.cli as cli
from auth_service.bootstrap import BootstrapRefused, admin_credentials, create_admin
from auth_service.context import make_hasher
from auth_service.db import SCHEMA
from auth_service.keys.service import create_key
from auth_service.roles.builtin import sync_permissions
from auth_service.settings import AuthSettings
from crm_common.db import create_engine, session_factory, transaction
from crm_common.logging import configure_logging
from crm_common.migrations import upgrade

SERVICE_ROOT = Path(__file__).resolve().parents[2]


T = TypeVar("T")


def _in_transaction(settings: AuthSettings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on a short-lived engine (CLI commands)."""

    async def run() -> T:
        engine = create_engine(settings.database_url, SCHEMA, pool_size=1)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def migrate(settings: AuthSettings) -> None:
    upgrade(SERVICE_ROOT, settings.database_url)
    added = _in_transaction(settings, sync_permissions)
    print(f"auth schema migrated; permissions added: {added or 'none'}")


def create_admin_command(settings: AuthSettings) -> None:
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


def rotate_keys(settings: AuthSettings) -> None:
    key = _in_transaction(settings, lambda s: create_key(s, settings))
    print(
        f"signing key {key.kid} is now current and published; running processes sign with it within "
        f"{settings.keyring_refresh_seconds:g}s; the previous key stays published for {settings.key_publish_grace}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-auth", description="The CRM auth service.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the HTTP API")
    sub.add_parser("migrate", help="upgrade the auth schema to head and sync the permission catalog")
    sub.add_parser("create-admin", help="create the admin from AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD")
    sub.add_parser("rotate-keys", help="make a new signing key current; the old one stays published for a while")
    args = parser.parse_args(argv)
    settings: AuthSettings = cli.load_settings(AuthSettings)
    configure_logging("auth", settings.log_level, settings.log_json)
    if args.command == "serve":
        from auth_service.app import create_app

        cli.preflight(settings, service="auth", postgres=True, kafka=False, redis=True)
        app = create_app(settings)
        cli.serve(app, host=settings.http_host, port=settings.port, service="auth", log_level=settings.log_level)
    elif args.command == "migrate":
        migrate(settings)
    elif args.command == "create-admin":
        create_admin_command(settings)
    elif args.command == "rotate-keys":
        rotate_keys(settings)


if __name__ == "__main__":
    main()

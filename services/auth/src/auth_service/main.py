"""``crm-auth``: serve, migrate (and sync the permission catalog), create-admin, rotate-keys."""

from __future__ import annotations

from auth_service.commands import create_admin_command, rotate_keys
from auth_service.settings import AuthSettings
from crm_common.service import serve_command


def main(argv: list[str] | None = None) -> None:
    from auth_service.app import SPEC, create_app

    serve_command(
        SPEC,
        AuthSettings,
        create_app,
        argv,
        commands={
            "create-admin": ("create the admin from AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD", create_admin_command, None),
            "rotate-keys": (
                "make a new signing key current; the old one stays published for a while",
                rotate_keys,
                None,
            ),
        },
    )


if __name__ == "__main__":
    main()

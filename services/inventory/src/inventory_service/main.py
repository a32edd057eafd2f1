"""``crm-inventory serve`` runs the service; ``crm-inventory migrate`` upgrades its schema to the latest revision."""

from __future__ import annotations

import argparse
from pathlib import Path

from crm_common.cli import load_settings, preflight, serve
from crm_common.logging import configure_logging
from inventory_service.settings import InventorySettings

# services/inventory (alembic.ini and migrations/ live there).
SERVICE_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-inventory", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP API and the Kafka consumers")
    commands.add_parser("migrate", help="upgrade the inventory schema to the latest revision")
    args = parser.parse_args(argv)

    settings: InventorySettings = load_settings(InventorySettings)
    configure_logging("inventory", settings.log_level, settings.log_json)
    if args.command == "migrate":
        from crm_common.migrations import upgrade

        preflight(settings, service="inventory", postgres=True, kafka=False, redis=False)
        upgrade(SERVICE_ROOT, settings.database_url)
        return

    from inventory_service.app import create_app

    preflight(settings, service="inventory", postgres=True, kafka=settings.consume_events, redis=False)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.port,
        service="inventory",
        log_level=settings.log_level,
    )


if __name__ == "__main__":
    main()

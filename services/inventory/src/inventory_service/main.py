"""``crm-inventory serve`` runs the service; ``crm-inventory migrate`` upgrades its schema to the latest revision."""

from __future__ import annotations

from pathlib import Path

from crm_common.service import serve_command
from inventory_service.settings import InventorySettings

# services/inventory (alembic.ini and migrations/ live there).
SERVICE_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    from inventory_service.app import SPEC, create_app

    serve_command(SPEC, InventorySettings, create_app, argv)


if __name__ == "__main__":
    main()

"""``crm-inventory serve`` runs the service; ``crm-inventory migrate`` upgrades its schema to the latest revision."""

from __future__ import annotations

from crm_common.service import serve_command
from inventory_service.settings import InventorySettings


def main(argv: list[str] | None = None) -> None:
    from inventory_service.app import SPEC, create_app

    serve_command(SPEC, InventorySettings, create_app, argv)


if __name__ == "__main__":
    main()

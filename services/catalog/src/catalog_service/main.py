"""``crm-catalog serve`` runs the service; ``crm-catalog migrate`` upgrades its schema to the latest revision."""

from __future__ import annotations

from catalog_service.settings import CatalogSettings
from crm_common.service import serve_command


def main(argv: list[str] | None = None) -> None:
    from catalog_service.app import SPEC, create_app

    serve_command(SPEC, CatalogSettings, create_app, argv)


if __name__ == "__main__":
    main()

"""``crm-moysklad-connector serve | migrate | sync``: the kit's connector command line (crm_integration.startup)."""

from __future__ import annotations

from crm_integration import startup
from moysklad_connector.app import CONNECTOR, SERVICE_ROOT, create_app
from moysklad_connector.settings import ConnectorSettings

__all__ = ["SERVICE_ROOT", "main", "run_sync"]


def main(argv: list[str] | None = None) -> None:
    startup.main(CONNECTOR, ConnectorSettings, create_app, argv)


async def run_sync(settings: ConnectorSettings, integration_id: str, mode: str) -> str:
    return await startup.run_sync(CONNECTOR, settings, integration_id, mode)


if __name__ == "__main__":
    main()

"""``crm-bitrix24-connector serve | migrate | sync``: the kit's connector command line (crm_integration.startup)."""

from __future__ import annotations

from bitrix24_connector.app import CONNECTOR, SERVICE_ROOT, create_app
from bitrix24_connector.settings import ConnectorSettings
from crm_integration import startup

__all__ = ["SERVICE_ROOT", "main", "run_sync"]


def main(argv: list[str] | None = None) -> None:
    startup.main(CONNECTOR, ConnectorSettings, create_app, argv)


async def run_sync(settings: ConnectorSettings, integration_id: str, mode: str) -> str:
    return await startup.run_sync(CONNECTOR, settings, integration_id, mode)


if __name__ == "__main__":
    main()

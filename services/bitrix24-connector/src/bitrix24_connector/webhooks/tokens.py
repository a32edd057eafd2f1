"""Per-integration handler-URL tokens (the kit's ``crm_integration.webhooks``) keyed by this connector's settings.

The handler URL given to ``event.bind`` carries ``?integration=…&token=…``: only a caller that was told the URL can
reach the intake with a valid token; the portal's ``auth[application_token]`` is checked on top when one is stored.
"""

from __future__ import annotations

from bitrix24_connector.settings import ConnectorSettings
from crm_integration.webhooks import token_matches as kit_token_matches
from crm_integration.webhooks import webhook_secret, webhook_url


def _secret(settings: ConnectorSettings) -> bytes:
    return webhook_secret(None, settings.secret_key, "bitrix24-webhooks")


def token_matches(settings: ConnectorSettings, integration_id: str, token: str | None) -> bool:
    return kit_token_matches(_secret(settings), integration_id, token)


def handler_url(settings: ConnectorSettings, integration_id: str) -> str | None:
    """The URL the portal should call for ``integration_id``, or None when no public URL is configured."""
    return webhook_url(settings.public_webhook_url, _secret(settings), integration_id)

"""Per-integration webhook tokens (the kit's ``crm_integration.webhooks``) keyed by this connector's settings.

MoySklad cannot sign its notifications, so the URL it calls carries the token (``?integration=…&token=…``) and the
receiver compares it in constant time. Changing ``CONNECTOR_WEBHOOK_SECRET`` (or ``SECRET_KEY``) changes every token;
the registration then replaces the webhooks that carry an old one.
"""

from __future__ import annotations

from crm_integration import webhooks
from moysklad_connector.settings import ConnectorSettings


def _secret(settings: ConnectorSettings) -> bytes:
    return webhooks.webhook_secret(settings.webhook_secret, settings.secret_key, "moysklad-webhooks")


def webhook_token(settings: ConnectorSettings, integration_id: str) -> str:
    return webhooks.webhook_token(_secret(settings), integration_id)


def token_matches(settings: ConnectorSettings, integration_id: str, token: str | None) -> bool:
    return webhooks.token_matches(_secret(settings), integration_id, token)


def webhook_url(settings: ConnectorSettings, integration_id: str) -> str | None:
    """The URL MoySklad should call for ``integration_id``, or None when no public URL is configured."""
    return webhooks.webhook_url(settings.public_webhook_url, _secret(settings), integration_id)

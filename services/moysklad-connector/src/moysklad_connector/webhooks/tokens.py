"""Per-integration webhook tokens: ``HMAC-SHA256(secret, integration id)``, so nothing secret is stored.

MoySklad cannot sign its notifications, so the URL it calls carries the token (``?integration=…&token=…``) and the
receiver compares it in constant time. Changing ``CONNECTOR_WEBHOOK_SECRET`` (or ``SECRET_KEY``) changes every token;
the registration then replaces the webhooks that carry an old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from moysklad_connector.settings import ConnectorSettings


def _secret(settings: ConnectorSettings) -> bytes:
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value().encode()
    return hashlib.sha256(b"moysklad-webhooks|" + settings.secret_key.get_secret_value().encode()).digest()


def webhook_token(settings: ConnectorSettings, integration_id: str) -> str:
    digest = hmac.new(_secret(settings), f"webhook|{integration_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(settings: ConnectorSettings, integration_id: str, token: str | None) -> bool:
    expected = webhook_token(settings, integration_id)
    return hmac.compare_digest(expected.encode(), (token or "").encode())


def webhook_url(settings: ConnectorSettings, integration_id: str) -> str | None:
    """The URL MoySklad should call for ``integration_id``, or None when no public URL is configured."""
    if not settings.public_webhook_url:
        return None
    query = urlencode({"integration": integration_id, "token": webhook_token(settings, integration_id)})
    base = settings.public_webhook_url
    return f"{base}{'&' if '?' in base else '?'}{query}"

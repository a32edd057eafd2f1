"""Which Bitrix24 portal an integration id means, and how to reach it.

The incoming-webhook URL ``https://<portal>/rest/<user_id>/<code>/`` is the credential: whoever holds it calls the
REST API as that user. It is stored encrypted, with the ``application_token`` the portal sends with its outbound
events (to tell them from forgeries); what is shown is the portal's REST root and the user id. A stored integration
wins; otherwise ``default`` comes from ``BITRIX24_CONNECTOR_WEBHOOK_URL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from bitrix24_connector.client import PacingConfig
from bitrix24_connector.settings import PLANS, ConnectorSettings
from bitrix24_connector.tables import Integration
from crm_common.errors import NotFound
from crm_integration.credentials import IntegrationRepository, SecretBox

DEFAULT_INTEGRATION = "default"
WEBHOOK_URL = re.compile(r"^(?P<root>https?://[^/\s]+/rest/)(?P<user>\d+)/(?P<code>[^/\s]+)/?$")


@dataclass(frozen=True)
class IntegrationConfig:
    id: str
    webhook_url: str
    application_token: str | None = None
    enabled: bool = True
    stored: bool = False


def split_webhook_url(url: str) -> tuple[str, str]:
    """``(REST root, user id)`` of an incoming-webhook URL; ValueError when it is not one."""
    match = WEBHOOK_URL.match(url.strip())
    if match is None:
        raise ValueError("not an incoming-webhook URL: https://<portal>/rest/<user_id>/<code>/")
    return match["root"], match["user"]


def secret_box(settings: ConnectorSettings) -> SecretBox:
    return SecretBox.from_keys(settings.credentials_key, settings.secret_key, "bitrix24-credentials")


def pacing_from(settings: ConnectorSettings) -> PacingConfig:
    drain, burst = PLANS[settings.plan]
    return PacingConfig(
        drain_per_second=drain,
        burst=burst,
        share=settings.rate_limit_share,
        max_parallel_requests=settings.max_parallel_requests,
        max_retries=settings.max_retries,
        backoff_base_seconds=settings.backoff_base_seconds,
        backoff_max_seconds=settings.backoff_max_seconds,
        request_timeout_seconds=settings.request_timeout_seconds,
    )


def from_settings(settings: ConnectorSettings) -> IntegrationConfig | None:
    if settings.webhook_url is None:
        return None
    token = settings.application_token.get_secret_value() if settings.application_token else None
    return IntegrationConfig(DEFAULT_INTEGRATION, settings.webhook_url.get_secret_value(), token)


def from_row(row: Integration, box: SecretBox) -> IntegrationConfig:
    secret = orjson.loads(box.decrypt(row.secret_encrypted))
    return IntegrationConfig(
        row.id, secret["webhook_url"], secret.get("application_token"), enabled=row.enabled, stored=True
    )


async def resolve(session: AsyncSession, settings: ConnectorSettings, integration_id: str) -> IntegrationConfig:
    row = await IntegrationRepository(session, Integration).get(integration_id)
    if row is not None:
        return from_row(row, secret_box(settings))
    env = from_settings(settings) if integration_id == DEFAULT_INTEGRATION else None
    if env is None:
        raise NotFound(f"integration {integration_id!r} not found")
    return env


async def save(
    session: AsyncSession,
    settings: ConnectorSettings,
    integration_id: str,
    *,
    webhook_url: str,
    application_token: str | None,
    enabled: bool = True,
) -> Integration:
    """Store an integration; the webhook URL and application token are encrypted before they reach the database."""
    root, user = split_webhook_url(webhook_url)
    secret = {"webhook_url": webhook_url.strip().rstrip("/") + "/", "application_token": application_token}
    repo = IntegrationRepository(session, Integration)
    row = await repo.get(integration_id)
    if row is None:
        row = Integration(id=integration_id)
        session.add(row)
    row.base_url, row.auth_kind, row.username = root, "webhook", user
    row.secret_encrypted = secret_box(settings).encrypt(orjson.dumps(secret).decode())
    row.enabled = enabled
    await session.flush()
    await session.refresh(row)
    return row


async def remove(session: AsyncSession, integration_id: str) -> None:
    """Forget a stored integration; its jobs, cursors, skipped objects and published data stay."""
    repo = IntegrationRepository(session, Integration)
    row = await repo.get(integration_id)
    if row is None:
        raise NotFound(f"integration {integration_id!r} is not stored (environment integrations cannot be deleted)")
    await repo.delete(row)


async def record_account(session: AsyncSession, integration_id: str, portal: str | None) -> None:
    """Remember which portal a stored integration reaches."""
    row = await IntegrationRepository(session, Integration).get(integration_id)
    if row is not None and portal and row.account_id != portal:
        row.account_id = portal[:64]
        await session.flush()

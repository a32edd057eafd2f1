"""Which MoySklad account an integration id means, and how to reach it.

A stored integration (``PUT /api/v1/admin/integrations``) wins; otherwise the ``default`` integration comes from the
environment (``MOYSKLAD_BASE_URL``, ``MOYSKLAD_USERNAME``/``MOYSKLAD_PASSWORD`` or ``MOYSKLAD_TOKEN``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import NotFound
from crm_integration.credentials import IntegrationRepository, SecretBox
from moysklad_connector.client import Credentials, PacingConfig
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.tables import Integration

DEFAULT_INTEGRATION = "default"


@dataclass(frozen=True)
class IntegrationConfig:
    id: str
    credentials: Credentials
    enabled: bool = True
    stored: bool = False


def secret_box(settings: ConnectorSettings) -> SecretBox:
    """``CONNECTOR_CREDENTIALS_KEY`` if set, else a key derived from ``SECRET_KEY`` (never stored anywhere)."""
    return SecretBox.from_keys(settings.credentials_key, settings.secret_key, "moysklad-credentials")


def pacing_from(settings: ConnectorSettings) -> PacingConfig:
    return PacingConfig(
        rate_limit_units=settings.rate_limit_units,
        rate_limit_window_ms=settings.rate_limit_window_ms,
        rate_limit_share=settings.rate_limit_share,
        request_weight=settings.request_weight,
        stock_report_weight=settings.stock_report_weight,
        max_parallel_requests=settings.max_parallel_requests,
        max_retries=settings.max_retries,
        backoff_base_seconds=settings.backoff_base_seconds,
        backoff_max_seconds=settings.backoff_max_seconds,
        request_timeout_seconds=settings.request_timeout_seconds,
    )


def from_settings(settings: ConnectorSettings) -> IntegrationConfig:
    token = settings.moysklad_token.get_secret_value() if settings.moysklad_token else None
    password = settings.moysklad_password.get_secret_value() if settings.moysklad_password else None
    return IntegrationConfig(
        DEFAULT_INTEGRATION,
        Credentials(settings.moysklad_base_url, settings.moysklad_username, password, token or None),
    )


def from_row(row: Integration, box: SecretBox) -> IntegrationConfig:
    secret = box.decrypt(row.secret_encrypted)
    if row.auth_kind == "token":
        credentials = Credentials(row.base_url, token=secret)
    else:
        credentials = Credentials(row.base_url, username=row.username, password=secret)
    return IntegrationConfig(row.id, credentials, enabled=row.enabled, stored=True)


async def resolve(session: AsyncSession, settings: ConnectorSettings, integration_id: str) -> IntegrationConfig:
    row = await IntegrationRepository(session, Integration).get(integration_id)
    if row is not None:
        return from_row(row, secret_box(settings))
    if integration_id == DEFAULT_INTEGRATION:
        return from_settings(settings)
    raise NotFound(f"integration {integration_id!r} not found")


async def save(
    session: AsyncSession,
    settings: ConnectorSettings,
    integration_id: str,
    *,
    base_url: str,
    username: str | None,
    password: str | None,
    token: str | None,
    enabled: bool = True,
) -> Integration:
    """Store an integration; the password or token is encrypted before it reaches the database."""
    if token:
        kind, secret, username = "token", token, None
    elif username and password is not None:
        kind, secret = "basic", password
    else:
        raise ValueError("either a token or a username and password are required")
    box = secret_box(settings)
    repo = IntegrationRepository(session, Integration)
    row = await repo.get(integration_id)
    if row is None:
        row = Integration(id=integration_id)
        session.add(row)
    row.base_url, row.auth_kind, row.username = base_url.rstrip("/"), kind, username
    row.secret_encrypted, row.enabled = box.encrypt(secret), enabled
    await session.flush()
    # `updated_at` is set by the database on update; read it back now, not lazily after the commit.
    await session.refresh(row)
    return row


async def remove(session: AsyncSession, integration_id: str) -> None:
    """Forget a stored integration. Its jobs, cursors, dead letters and published data stay (docs/integrations.md)."""
    repo = IntegrationRepository(session, Integration)
    row = await repo.get(integration_id)
    if row is None:
        raise NotFound(f"integration {integration_id!r} is not stored (environment integrations cannot be deleted)")
    await repo.delete(row)


async def record_account(session: AsyncSession, integration_id: str, account_id: str | None) -> None:
    """Remember which MoySklad account a stored integration reaches (``accountId`` of ``context/employee``)."""
    row = await IntegrationRepository(session, Integration).get(integration_id)
    if row is not None and account_id and row.account_id != account_id:
        row.account_id = account_id
        await session.flush()

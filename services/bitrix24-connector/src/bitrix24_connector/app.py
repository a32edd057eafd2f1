"""The Bitrix24 connector declared as a kit ``Connector`` (crm_integration.startup): its routers, job service,
tables and event binding; the kit runs the rest (docs/architecture.md, "Start-up")."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from bitrix24_connector import metrics
from bitrix24_connector.db import SCHEMA
from bitrix24_connector.integrations import api as integrations_api
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync import api as sync_api
from bitrix24_connector.sync.service import BITRIX24, SyncService
from bitrix24_connector.tables import Integration, WebhookReceipt
from bitrix24_connector.webhooks import api as webhooks_api
from bitrix24_connector.webhooks.registration import register_events
from crm_common.security.jwt import TokenVerifier
from crm_integration import startup

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def _configured(settings: ConnectorSettings) -> bool:
    return settings.webhook_url is not None


CONNECTOR = startup.Connector(
    name="bitrix24-connector",
    title="Bitrix24 connector",
    description="Pulls Bitrix24 CRM over its REST API and publishes canonical events.",
    cli_description="Bitrix24 connector",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    source=BITRIX24,
    routers=(sync_api.router, integrations_api.router, webhooks_api.router),
    service=SyncService,
    events_published=metrics.EVENTS_PUBLISHED,
    integrations=Integration,
    receipts=WebhookReceipt,
    configured=_configured,
    register=register_events,
    reconcile_zone=ZoneInfo("Europe/Moscow"),  # the reconciliation hour is Moscow's (settings.py)
)


def create_app(settings: ConnectorSettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return startup.create_app(CONNECTOR, settings or ConnectorSettings(), token_verifier=token_verifier)

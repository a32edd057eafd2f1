"""The MoySklad connector declared as a kit ``Connector`` (crm_integration.startup): its routers, job service,
tables, webhook registration and the periodic stock reconcile; the kit runs the rest (docs/architecture.md,
"Start-up")."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crm_common.security.jwt import TokenVerifier
from crm_integration import startup
from moysklad_connector import metrics
from moysklad_connector.db import SCHEMA
from moysklad_connector.integrations import api as integrations_api
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync import api as sync_api
from moysklad_connector.sync.scheduler import MOSCOW, Periodic
from moysklad_connector.sync.service import MOYSKLAD, SyncService
from moysklad_connector.tables import Integration, WebhookReceipt
from moysklad_connector.webhooks import api as webhooks_api
from moysklad_connector.webhooks.registration import register_webhooks

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def _configured(settings: ConnectorSettings) -> bool:
    return bool(settings.moysklad_token or settings.moysklad_username)


CONNECTOR = startup.Connector(
    name="moysklad-connector",
    title="MoySklad connector",
    description="Pulls MoySklad over JSON API 1.2 and publishes canonical events.",
    cli_description="MoySklad connector",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    source=MOYSKLAD,
    routers=(sync_api.router, integrations_api.router, webhooks_api.router),
    service=SyncService,
    events_published=metrics.EVENTS_PUBLISHED,
    integrations=Integration,
    receipts=WebhookReceipt,  # kept two days (the kit's default): MoySklad retries a requestId at once
    configured=_configured,
    register=register_webhooks,
    reconcile_zone=MOSCOW,  # MoySklad's zone (docs/moysklad.md, "Time")
    periodic=lambda settings: [Periodic("stock", settings.stock_reconcile_minutes * 60)],
)


def create_app(settings: ConnectorSettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return startup.create_app(CONNECTOR, settings or ConnectorSettings(), token_verifier=token_verifier)

"""The inventory service: stores and stock per product/variant per store, thresholds, low-stock alerts."""

from __future__ import annotations

from fastapi import FastAPI

from crm_common.events.topics import ALERTS, DEAD_LETTER
from crm_common.security.jwt import TokenVerifier
from crm_common.service import Outbox, ServiceSpec, build_app
from inventory_service.alerts.api import router as thresholds_router
from inventory_service.commands import copy_catalog_everywhere
from inventory_service.consumers import TOPICS, register_consumers
from inventory_service.db import SCHEMA, SERVICE_ROOT, outbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.api import router as stock_router
from inventory_service.stores.api import router as stores_router

SPEC = ServiceSpec(
    name="inventory",
    title="Inventory service",
    description="Stores, stock per product or variant per store, minimum-stock thresholds and low-stock alerts.",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    routers=(stock_router, stores_router, thresholds_router),
    topics=(*TOPICS, ALERTS, DEAD_LETTER),
    consumers=register_consumers,
    # Low-stock alerts leave through the outbox; with consumers off nothing raises them, so no Kafka is opened.
    outbox=Outbox(outbox, interval=lambda settings: settings.outbox_interval),
    after_migrate=copy_catalog_everywhere,
)


def create_app(settings: InventorySettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return build_app(SPEC, settings or InventorySettings(), token_verifier=token_verifier)

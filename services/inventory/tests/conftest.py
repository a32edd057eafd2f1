"""Inventory tests run against the real Postgres (database ``crm_test``) and Kafka, with per-run topic names; the
shared fixtures come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

from crm_common.events.topics import ALERTS, DEAD_LETTER, FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_testing import ServiceUnderTest
from inventory_service.app import create_app
from inventory_service.db import SCHEMA, SERVICE_ROOT, load_metadata
from inventory_service.settings import InventorySettings

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="inventory",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    settings=InventorySettings,
    metadata=load_metadata,
    keep_tables=("processed_events", "outbox"),  # the running consumer's dedup state and relay stay valid
    app=create_app,
    permissions=("inventory:read",),
    topics=(FOLDERS, PRODUCTS, VARIANTS, STORES, STOCK, ALERTS, DEAD_LETTER),
)

"""Catalog tests run against the real Postgres (database ``crm_test``) and Kafka, with per-run topic names; the
shared fixtures come from the crm_testing plugin, built from this descriptor (docs/architecture.md, "Tests")."""

from __future__ import annotations

from catalog_service.app import create_app
from catalog_service.db import SCHEMA, SERVICE_ROOT, load_metadata
from catalog_service.settings import CatalogSettings
from crm_common.events.topics import DEAD_LETTER, FOLDERS, PRODUCTS, VARIANTS
from crm_testing import ServiceUnderTest

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="catalog",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    settings=CatalogSettings,
    metadata=load_metadata,
    keep_tables=("processed_events",),  # the running consumer's dedup state stays valid
    app=create_app,
    permissions=("products:read",),
    topics=(FOLDERS, PRODUCTS, VARIANTS, DEAD_LETTER),
)

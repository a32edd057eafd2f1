"""Alembic environment of the inventory service: migrates schema ``inventory`` only."""

from crm_common.migrations import run_migrations
from inventory_service.db import SCHEMA, load_metadata
from inventory_service.settings import InventorySettings

run_migrations(load_metadata(), SCHEMA, InventorySettings().database_url)

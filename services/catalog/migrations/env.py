"""Alembic environment of the catalog service: migrates schema ``catalog`` only."""

from catalog_service.db import SCHEMA, load_metadata
from catalog_service.settings import CatalogSettings
from crm_common.migrations import run_migrations

run_migrations(load_metadata(), SCHEMA, CatalogSettings().database_url)

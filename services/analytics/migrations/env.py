"""Alembic environment of the analytics service: migrates schema ``analytics`` only."""

from analytics_service.db import SCHEMA, load_metadata
from analytics_service.settings import AnalyticsSettings
from crm_common.migrations import run_migrations

run_migrations(load_metadata(), SCHEMA, AnalyticsSettings().database_url)

"""Alembic environment of the MoySklad connector: migrates schema ``moysklad`` only."""

from crm_common.migrations import run_migrations
from moysklad_connector.db import SCHEMA, load_metadata
from moysklad_connector.settings import ConnectorSettings

run_migrations(load_metadata(), SCHEMA, ConnectorSettings().database_url)

"""Alembic environment of the Bitrix24 connector: migrates schema ``bitrix24`` only."""

from bitrix24_connector.db import SCHEMA, load_metadata
from bitrix24_connector.settings import ConnectorSettings
from crm_common.migrations import run_migrations

run_migrations(load_metadata(), SCHEMA, ConnectorSettings().database_url)

from auth_service.db import SCHEMA
from auth_service.models import Base
from auth_service.settings import AuthSettings
from crm_common.migrations import run_migrations

run_migrations(Base.metadata, SCHEMA, AuthSettings().database_url)

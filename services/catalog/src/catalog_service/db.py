"""The catalog's declarative base, its inbox, and the one place that loads every table into the metadata."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import NAMING_CONVENTION
from crm_common.messaging.inbox import inbox_table

SCHEMA = "catalog"
# services/catalog: alembic.ini and migrations/ live there.
SERVICE_ROOT = Path(__file__).resolve().parents[2]


class Base(DeclarativeBase):
    # What crm_common.db.declarative_base(SCHEMA) builds, spelled as a class so mypy accepts it as a base class.
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)


inbox = inbox_table(Base.metadata)


def load_metadata() -> MetaData:
    """The metadata with every model registered (for migrations and tests)."""
    from catalog_service.folders import models as _folders  # noqa: F401
    from catalog_service.products import models as _products  # noqa: F401
    from catalog_service.variants import models as _variants  # noqa: F401

    return Base.metadata

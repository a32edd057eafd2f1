"""The inventory's declarative base, inbox and outbox, and the one place that loads every table."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import NAMING_CONVENTION
from crm_common.messaging.inbox import inbox_table
from crm_common.messaging.outbox import outbox_table

SCHEMA = "inventory"
# services/inventory: alembic.ini and migrations/ live there.
SERVICE_ROOT = Path(__file__).resolve().parents[2]


class Base(DeclarativeBase):
    # What crm_common.db.declarative_base(SCHEMA) builds, spelled as a class so mypy accepts it as a base class.
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)


inbox = inbox_table(Base.metadata)
outbox = outbox_table(Base.metadata)


def load_metadata() -> MetaData:
    """The metadata with every model registered (for migrations and tests)."""
    from inventory_service.alerts import models as _alerts  # noqa: F401
    from inventory_service.assortment import models as _assortment  # noqa: F401
    from inventory_service.stock import models as _stock  # noqa: F401
    from inventory_service.stores import models as _stores  # noqa: F401

    return Base.metadata

"""The connector's declarative base (schema ``moysklad``) and the one place that loads every table."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import NAMING_CONVENTION

SCHEMA = "moysklad"


class Base(DeclarativeBase):
    # What crm_common.db.declarative_base(SCHEMA) builds, spelled as a class so mypy accepts it as a base class.
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)


def load_metadata() -> MetaData:
    """The metadata with every model registered (for migrations and tests)."""
    from moysklad_connector import tables as _kit  # noqa: F401
    from moysklad_connector.stock import models as _stock  # noqa: F401

    return Base.metadata

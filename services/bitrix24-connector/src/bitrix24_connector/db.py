"""The connector's declarative base (schema ``bitrix24``) and the one place that loads every table."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import NAMING_CONVENTION

SCHEMA = "bitrix24"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)


def load_metadata() -> MetaData:
    """The metadata with every model registered (for migrations and tests)."""
    from bitrix24_connector import tables as _kit  # noqa: F401

    return Base.metadata

"""The declarative base of the ``auth`` schema; every feature's models register on it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from crm_common.db import declarative_base

SCHEMA = "auth"
SERVICE_ROOT = Path(__file__).resolve().parents[2]  # services/auth: alembic.ini and migrations/

_Base = declarative_base(SCHEMA)


class Base(_Base):  # type: ignore[misc,valid-type]  # mypy cannot see through the factory
    __abstract__ = True


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

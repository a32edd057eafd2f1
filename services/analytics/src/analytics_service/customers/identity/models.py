"""Identity tables: the keys of each counterparty and the customer it belongs to (projections, rebuilt from the log),
and the admins' merge/split decisions (kept: the log does not hold them, so a rebuild must not lose them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class CustomerKey(Base):
    __tablename__ = "customer_keys"
    __table_args__ = (Index("ix_customer_keys_key", "kind", "value"),)

    counterparty_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class CustomerMember(Base):
    __tablename__ = "customer_members"

    counterparty_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    matched_by: Mapped[str] = mapped_column(String(10))  # inn | phone | email | merge | self
    matched_value: Mapped[str | None] = mapped_column(String(255))


class CustomerDecision(Base):
    __tablename__ = "customer_decisions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # merge | split
    counterparty_id: Mapped[str] = mapped_column(String(64), index=True)
    other_id: Mapped[str | None] = mapped_column(String(64), index=True)
    decided_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

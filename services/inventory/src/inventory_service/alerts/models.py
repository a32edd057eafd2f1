"""The low-stock state that makes alerts fire once per crossing (thresholds live with the stock: stock/models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory_service.db import Base


class LowStockRow(Base):
    """Whether a product/store is below its minimum now; an alert is published only when this flips."""

    __tablename__ = "low_stock_state"

    assortment_id: Mapped[str] = mapped_column(String, primary_key=True)
    store_id: Mapped[str] = mapped_column(String, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    crossings: Mapped[int] = mapped_column(Integer, nullable=False)
    stock: Mapped[Decimal | None] = mapped_column(Numeric)
    minimum: Mapped[Decimal | None] = mapped_column(Numeric)
    raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


@dataclass
class LowStock:
    """A low-stock state being settled (plain values, written back in one statement)."""

    assortment_id: str
    store_id: str
    active: bool
    crossings: int
    raised_at: datetime | None
    changed_at: datetime
    stock: Decimal | None = None
    minimum: Decimal | None = None

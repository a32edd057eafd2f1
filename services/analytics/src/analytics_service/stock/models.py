"""Current stock of one product or variant in one store."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class StockLevelRow(Base):
    __tablename__ = "stock_levels"

    assortment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    assortment_kind: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    stock: Mapped[Decimal] = mapped_column(Numeric)
    reserve: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    available: Mapped[Decimal] = mapped_column(Numeric)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric)
    minimum_stock: Mapped[Decimal | None] = mapped_column(Numeric)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_version: Mapped[int] = mapped_column(BigInteger)

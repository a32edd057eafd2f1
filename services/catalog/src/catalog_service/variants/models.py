"""Variants (MoySklad ``variant``, "модификация") of products, with their characteristics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.db import Base


class VariantRow(Base):
    __tablename__ = "variants"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, nullable=False)
    account_id: Mapped[str] = mapped_column(String, nullable=False)
    # No foreign key: a variant may arrive before its product (they travel on different topics).
    product_id: Mapped[str] = mapped_column(String, nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(Text)
    external_code: Mapped[str | None] = mapped_column(Text)
    characteristics: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    barcodes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    sale_prices: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    buy_price_amount: Mapped[Decimal | None] = mapped_column(Numeric)
    buy_price_currency: Mapped[str | None] = mapped_column(String(3))
    min_price_amount: Mapped[Decimal | None] = mapped_column(Numeric)
    min_price_currency: Mapped[str | None] = mapped_column(String(3))
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_variants_barcodes", "barcodes", postgresql_using="gin"),)

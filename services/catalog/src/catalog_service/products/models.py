"""Products, services and bundles (one table, ``kind`` tells them apart) and their sale prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.db import Base


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, nullable=False)
    account_id: Mapped[str] = mapped_column(String, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(Text)
    external_code: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    folder_id: Mapped[str | None] = mapped_column(String, index=True)
    uom: Mapped[str | None] = mapped_column(Text)
    barcodes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    buy_price_amount: Mapped[Decimal | None] = mapped_column(Numeric)
    buy_price_currency: Mapped[str | None] = mapped_column(String(3))
    min_price_amount: Mapped[Decimal | None] = mapped_column(Numeric)
    min_price_currency: Mapped[str | None] = mapped_column(String(3))
    vat_percent: Mapped[Decimal | None] = mapped_column(Numeric)
    vat_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    minimum_stock: Mapped[Decimal | None] = mapped_column(Numeric)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    weight: Mapped[Decimal | None] = mapped_column(Numeric)
    volume: Mapped[Decimal | None] = mapped_column(Numeric)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    source_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_products_name", "name"),
        Index("ix_products_barcodes", "barcodes", postgresql_using="gin"),
    )


class ProductPriceRow(Base):
    """One sale price of a product; ``position`` keeps the source's order (position 0 is the main price)."""

    __tablename__ = "product_prices"

    product_id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_type: Mapped[str] = mapped_column(Text, nullable=False)
    price_type_id: Mapped[str | None] = mapped_column(String)
    amount: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)

    __table_args__ = (Index("ix_product_prices_type_amount", "price_type", "amount"),)

"""Stock of one product or variant in one store, as the source last reported it, and the minimums set for it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Numeric, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from inventory_service.db import Base


class StockRow(Base):
    __tablename__ = "stock"

    # `<assortment_id>:<store_id>`, the entity id of `stock.changed` events.
    id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, nullable=False)
    account_id: Mapped[str] = mapped_column(String, nullable=False)
    assortment_id: Mapped[str] = mapped_column(String, nullable=False)
    assortment_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    product_id: Mapped[str] = mapped_column(String, nullable=False, index=True)
    store_id: Mapped[str] = mapped_column(String, nullable=False, index=True)
    stock: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    reserve: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    in_transit: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    available: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric)
    minimum_stock: Mapped[Decimal | None] = mapped_column(Numeric)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # What the listing shows, filters and sorts by of the row's item and the item's product (a variant falls back to
    # its product's), written with the level and copied again whenever either changes (StockRepository.fill_catalog
    # and copy_catalog, in the consumer's transaction), so a page of a large shop's stock list reads the stock table
    # alone, in its name index's order (docs/architecture.md, "API conventions").
    name: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(Text)
    folder_id: Mapped[str | None] = mapped_column(String)
    catalog_minimum: Mapped[Decimal | None] = mapped_column(Numeric)
    catalog_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))

    __table_args__ = (
        Index("uq_stock_assortment_store", "assortment_id", "store_id", unique=True),
        # The rows a listing shows, by name (the store too, so a count can read this index alone).
        Index("ix_stock_listed_by_name", "name", "store_id", postgresql_where=text("NOT catalog_deleted")),
    )


ALL_STORES = "*"


class ThresholdRow(Base):
    """A minimum for one product or variant in one store, or in every store (``store_id == "*"``)."""

    __tablename__ = "thresholds"

    assortment_id: Mapped[str] = mapped_column(String, primary_key=True)
    store_id: Mapped[str] = mapped_column(String, primary_key=True)
    minimum: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

"""Dimension rows kept just rich enough for reports; each carries the source version it was built from."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class ProductDim(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="product")
    name: Mapped[str] = mapped_column(String(500), default="")
    code: Mapped[str | None] = mapped_column(String(255))
    article: Mapped[str | None] = mapped_column(String(255))
    folder_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric)
    buy_price: Mapped[Decimal | None] = mapped_column(Numeric)
    minimum_stock: Mapped[Decimal | None] = mapped_column(Numeric)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)


class VariantDim(Base):
    __tablename__ = "variants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric)
    buy_price: Mapped[Decimal | None] = mapped_column(Numeric)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)


class FolderDim(Base):
    __tablename__ = "folders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    path: Mapped[str] = mapped_column(String(2000), default="")
    parent_id: Mapped[str | None] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)


class StoreDim(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)

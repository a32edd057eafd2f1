"""What was last published per stock key, so that only changed levels go out again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from moysklad_connector.db import Base


class PublishedStock(Base):
    """One ``<assortment_id>:<store_id>`` level as last published: its hash and what a zero level needs."""

    __tablename__ = "stock_published"

    integration_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    assortment_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    product_id: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )

"""Product folders (MoySklad ``productfolder``): a tree by ``parent_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.db import Base


class FolderRow(Base):
    __tablename__ = "folders"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String, nullable=False)
    account_id: Mapped[str] = mapped_column(String, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    external_code: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String, index=True)
    path: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

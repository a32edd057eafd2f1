"""Webhook notifications received, keyed by MoySklad's ``requestId``.

MoySklad's retries repeat the ``requestId`` (docs/moysklad.md, "Webhooks").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from moysklad_connector.db import Base


class WebhookReceipt(Base):
    __tablename__ = "webhook_receipts"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    integration_id: Mapped[str] = mapped_column(String(64), nullable=False)
    events: Mapped[Any] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )

"""SQL of webhook receipts. Callers own the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from moysklad_connector.webhooks.models import WebhookReceipt


class ReceiptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request_id: str, integration_id: str, events: Any) -> bool:
        """Record a notification; False when its ``requestId`` was seen already (a MoySklad retry)."""
        stmt = (
            insert(WebhookReceipt)
            .values(request_id=request_id, integration_id=integration_id, events=events)
            .on_conflict_do_nothing(index_elements=[WebhookReceipt.request_id])
            .returning(WebhookReceipt.request_id)
        )
        return (await self.session.scalar(stmt)) is not None

    async def prune(self, before: datetime) -> int:
        result = await self.session.execute(delete(WebhookReceipt).where(WebhookReceipt.received_at < before))
        return int(getattr(result, "rowcount", 0) or 0)

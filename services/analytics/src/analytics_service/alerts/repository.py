"""SQL of the alert store."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.alerts.models import AlertRow
from crm_common.versioned import insert_rows

# What raising an alert again changes; the rest (kind, permission, subject, source) stays as first raised.
REFRESHED = ("severity", "title", "message", "data", "raised_at")


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert raised alerts (one row per id), or refresh the text of those raised again, unless stored as raised
        later; acknowledgements survive. One statement, the rows as one jsonb parameter."""
        await insert_rows(
            self.session,
            AlertRow.__table__,
            rows,
            update_existing=REFRESHED,
            update_sql={"cleared_at": "NULL", "updated_at": "now()"},
            update_if="t.raised_at <= EXCLUDED.raised_at",
        )

    async def insert_new(self, row: dict[str, Any]) -> bool:
        """Insert only if no alert with this id exists; True if inserted."""
        stmt = insert(AlertRow.__table__).values(**row).on_conflict_do_nothing().returning(AlertRow.__table__.c.id)
        return (await self.session.execute(stmt)).first() is not None

    async def clear(self, alert_id: str, at: datetime) -> None:
        await self.session.execute(
            update(AlertRow).where(AlertRow.id == alert_id, AlertRow.cleared_at.is_(None)).values(cleared_at=at)
        )

    async def clear_kind_for_subject(self, kind: str, subject_id: str, at: datetime) -> None:
        await self.session.execute(
            update(AlertRow)
            .where(AlertRow.kind == kind, AlertRow.subject_id == subject_id, AlertRow.cleared_at.is_(None))
            .values(cleared_at=at)
        )

    async def get(self, alert_id: str) -> AlertRow | None:
        return await self.session.get(AlertRow, alert_id)

    async def list(
        self, *, permissions: Collection[str], status: str, kind: str | None, limit: int, offset: int
    ) -> tuple[list[AlertRow], int]:
        query = select(AlertRow).where(AlertRow.permission.in_(list(permissions)))
        if status == "open":
            query = query.where(AlertRow.acknowledged_at.is_(None), AlertRow.cleared_at.is_(None))
        elif status == "acknowledged":
            query = query.where(AlertRow.acknowledged_at.is_not(None))
        elif status == "cleared":
            query = query.where(AlertRow.cleared_at.is_not(None))
        if kind:
            query = query.where(AlertRow.kind == kind)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(AlertRow.raised_at.desc(), AlertRow.id).limit(limit).offset(offset)
        )
        return list(rows.all()), int(total or 0)

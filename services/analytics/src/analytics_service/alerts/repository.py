"""SQL of the alert store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.alerts.models import AlertRow


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, row: dict[str, Any]) -> bool:
        """Insert a raised alert, or refresh its text if it is raised again; acknowledgements survive."""
        table = AlertRow.__table__
        stmt = insert(table).values(**row)
        refreshed = ("severity", "title", "message", "data", "raised_at")
        upsert = stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={**{k: stmt.excluded[k] for k in refreshed}, "cleared_at": None, "updated_at": func.now()},
            where=table.c.raised_at <= stmt.excluded.raised_at,
        ).returning(table.c.id)
        return (await self.session.execute(upsert)).first() is not None

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

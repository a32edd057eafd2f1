"""Funnel SQL: pipelines, their stages, and the facts of a cohort of deals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from analytics_service.funnel.models import DealRow, DealStageRow, PipelineRow, PipelineStageRow
from analytics_service.funnel.report import LOST, DealFacts, Stage
from analytics_service.periods import Period


def _bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the period's first business day starts and the day after its last one starts."""
    start = datetime.combine(period.start, time(), zone).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


class FunnelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pipelines(self) -> list[PipelineRow]:
        rows = await self.session.execute(
            select(PipelineRow).where(PipelineRow.deleted.is_(False)).order_by(PipelineRow.sort, PipelineRow.id)
        )
        return list(rows.scalars())

    async def stages(self, pipeline_id: str) -> list[Stage]:
        s = PipelineStageRow
        rows = await self.session.execute(select(s).where(s.pipeline_id == pipeline_id).order_by(s.sort, s.stage_id))
        return [Stage(r.stage_id, r.name, r.sort, r.semantics) for r in rows.scalars()]

    async def deals(
        self, period: Period, zone: ZoneInfo, *, pipeline_id: str | None = None, responsible_id: str | None = None
    ) -> dict[str, list[DealFacts]]:
        """The live deals created in ``period`` (business days in ``zone``), per pipeline."""
        d, entered = DealRow, aliased(PipelineStageRow)
        current = aliased(PipelineStageRow)
        furthest_in_history = (
            select(func.max(entered.sort))
            .select_from(DealStageRow)
            .join(entered, and_(entered.pipeline_id == d.pipeline_id, entered.stage_id == DealStageRow.stage_id))
            .where(DealStageRow.deal_id == d.id, entered.semantics != LOST)
            .correlate(d)
            .scalar_subquery()
        )
        entered_current = (
            select(func.max(DealStageRow.entered_at))
            .where(DealStageRow.deal_id == d.id, DealStageRow.stage_id == d.stage_id)
            .correlate(d)
            .scalar_subquery()
        )
        furthest = func.greatest(furthest_in_history, case((d.stage_semantics != LOST, current.sort)))
        start, end = _bounds(period, zone)
        query = (
            select(
                d.id,
                d.pipeline_id,
                d.stage_id,
                d.stage_semantics,
                d.amount,
                d.currency,
                d.responsible_id,
                d.responsible_name,
                d.created_at,
                func.coalesce(d.closed_at, entered_current).label("won_at"),
                furthest.label("furthest"),
            )
            .outerjoin(current, and_(current.pipeline_id == d.pipeline_id, current.stage_id == d.stage_id))
            .where(d.deleted.is_(False), d.created_at >= start, d.created_at < end)
            .order_by(d.id)
        )
        if pipeline_id is not None:
            query = query.where(d.pipeline_id == pipeline_id)
        if responsible_id is not None:
            query = query.where(d.responsible_id == responsible_id)
        out: dict[str, list[DealFacts]] = {}
        for r in await self.session.execute(query):
            out.setdefault(r.pipeline_id, []).append(
                DealFacts(
                    id=r.id,
                    stage_id=r.stage_id,
                    semantics=r.stage_semantics,
                    amount=Decimal(r.amount),
                    currency=r.currency,
                    responsible_id=r.responsible_id,
                    responsible_name=r.responsible_name,
                    created_at=r.created_at,
                    won_at=r.won_at if r.stage_semantics == "won" else None,
                    furthest_sort=r.furthest,
                )
            )
        return out

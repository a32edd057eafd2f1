"""SQL for thresholds and the low-stock state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_service.alerts.models import LowStockRow
from inventory_service.stock.models import ThresholdRow


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def locked_state(self, assortment_id: str, store_id: str, now: datetime) -> LowStockRow:
        """The low-stock state of a product/store, created if new, locked until the transaction ends so that two
        concurrent evaluations cannot both publish the same crossing."""
        await self.session.execute(
            insert(LowStockRow)
            .values(assortment_id=assortment_id, store_id=store_id, active=False, crossings=0, changed_at=now)
            .on_conflict_do_nothing()
        )
        state = await self.session.scalar(
            select(LowStockRow)
            .where(LowStockRow.assortment_id == assortment_id, LowStockRow.store_id == store_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert state is not None
        return state

    async def set_threshold(self, assortment_id: str, store_id: str, minimum: Decimal, user: str) -> ThresholdRow:
        stmt = insert(ThresholdRow).values(
            assortment_id=assortment_id, store_id=store_id, minimum=minimum, updated_by=user
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[ThresholdRow.assortment_id, ThresholdRow.store_id],
            set_={
                "minimum": stmt.excluded.minimum,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self.session.execute(stmt)
        row = await self.session.scalar(
            select(ThresholdRow)
            .where(ThresholdRow.assortment_id == assortment_id, ThresholdRow.store_id == store_id)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def delete_threshold(self, assortment_id: str, store_id: str) -> bool:
        result = await self.session.execute(
            delete(ThresholdRow)
            .where(ThresholdRow.assortment_id == assortment_id, ThresholdRow.store_id == store_id)
            .returning(ThresholdRow.assortment_id)
        )
        return result.first() is not None

    async def thresholds(self, assortment_id: str | None, limit: int, offset: int) -> list[ThresholdRow]:
        stmt = select(ThresholdRow).order_by(ThresholdRow.assortment_id, ThresholdRow.store_id)
        if assortment_id is not None:
            stmt = stmt.where(ThresholdRow.assortment_id == assortment_id)
        return list(await self.session.scalars(stmt.limit(limit).offset(offset)))

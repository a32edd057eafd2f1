"""SQL for thresholds and the low-stock state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import String, Table, any_, bindparam, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.versioned import insert_rows
from inventory_service.alerts.models import LowStock, LowStockRow
from inventory_service.assortment.models import AssortmentRow
from inventory_service.stock.models import ThresholdRow

LOW_STOCK = cast(Table, LowStockRow.__table__)
# Keys per statement: well under PostgreSQL's 32767 bind parameters.
CHUNK = 1000
# Transaction-level advisory locks on the products/variants named and the products they belong to (as far as the
# assortment knows them), one key per id from a stable 64-bit hash, taken in key order (the inner ORDER BY: the outer
# scan calls the function row by row in that order).
_IDS = bindparam("ids", type_=ARRAY(String))
_NAMED = (
    select(func.unnest(_IDS).label("id"))
    .union(select(AssortmentRow.product_id.label("id")).where(AssortmentRow.id == any_(_IDS)))
    .subquery("i")
)
_KEY = func.hashtextextended(literal("inventory.low_stock:") + _NAMED.c.id, 0).label("k")
_KEYS = select(_KEY).distinct().order_by(_KEY).subquery("keys")
_LOCK = select(func.pg_advisory_xact_lock(_KEYS.c.k))


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_assortment(self, ids: Iterable[str]) -> None:
        """Hold these products/variants, and the products they belong to, until the transaction ends, so that
        evaluations concerning one product never run side by side in two replicas. Without it, a transaction that
        writes a product's minimum and another that writes a stock level of it (or of one of its variants) each
        settle the level without seeing the other's uncommitted row: both commit a state computed from half the facts
        (the minimum missing, an alert never raised). Keys in sorted order: two transactions never wait on each
        other."""
        wanted = sorted(set(ids))
        if wanted:
            await self.session.execute(_LOCK, {"ids": wanted})

    async def locked_states(self, keys: Sequence[tuple[str, str]], now: datetime) -> dict[tuple[str, str], LowStock]:
        """The low-stock states of these products/stores, created if new, locked until the transaction ends so that two
        concurrent evaluations cannot both publish the same crossing (in key order: two never wait on each other)."""
        ordered = sorted(set(keys))
        found: dict[tuple[str, str], LowStock] = {}
        s = LowStockRow
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            new = [
                {"assortment_id": a, "store_id": s, "active": False, "crossings": 0, "changed_at": now}
                for a, s in chunk
            ]
            await insert_rows(self.session, LOW_STOCK, new, skip_existing=True)
            states = await self.session.execute(
                select(s.assortment_id, s.store_id, s.active, s.crossings, s.raised_at, s.changed_at)
                .where(tuple_(s.assortment_id, s.store_id).in_(chunk))
                .order_by(s.assortment_id, s.store_id)
                .with_for_update()
            )
            found.update({(r.assortment_id, r.store_id): LowStock(*r) for r in states})
        return found

    async def save_states(self, states: Sequence[LowStock]) -> None:
        """Write the settled states back (rows locked by ``locked_states``): one statement for all of them."""
        # vars(): the dataclass's own field dict (dataclasses.asdict deep-copies, and was most of this call's time)
        await insert_rows(self.session, LOW_STOCK, [vars(state) for state in states], update_existing=True)

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

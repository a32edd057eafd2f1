"""SQL for thresholds and the low-stock state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from sqlalchemy import String, Table, bindparam, delete, func, literal, select, true, union
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import given_rows
from crm_common.versioned import insert_rows
from inventory_service.alerts.models import LowStock, LowStockRow
from inventory_service.assortment.models import AssortmentRow
from inventory_service.stock.models import ThresholdRow

LOW_STOCK = cast(Table, LowStockRow.__table__)
# Transaction-level advisory locks on the products/variants named and the products they belong to, one key per id
# from a stable 64-bit hash, taken in key order (the inner ORDER BY: the outer scan calls the function row by row in
# that order). The product of an id whose product the caller does not name (``:unnamed``) is looked up in the
# assortment by that id: a LATERAL with OFFSET 0, which the planner may not turn into a join. As `id = ANY(...)` over
# every id, a stale estimate (statistics lag the assortment while a first load fills it) had PostgreSQL read the
# whole assortment for every batch: 5 ms a batch at ~35,000 products and variants (docs/operations.md, "The
# products a batch locks, by key").
_GIVEN = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("id").render_derived("given")
_UNNAMED = func.unnest(bindparam("unnamed", type_=ARRAY(String))).table_valued("id").render_derived("unnamed")
_PARENT = select(AssortmentRow.product_id).where(AssortmentRow.id == _UNNAMED.c.id).offset(0).lateral("parent")
_NAMED = union(
    select(_GIVEN.c.id), select(_PARENT.c.product_id.label("id")).select_from(_UNNAMED).join(_PARENT, true())
).subquery("i")
_KEY = func.hashtextextended(literal("inventory.low_stock:") + _NAMED.c.id, 0).label("k")
_KEYS = select(_KEY).distinct().order_by(_KEY).subquery("keys")
_LOCK = select(func.pg_advisory_xact_lock(_KEYS.c.k))
_WANTED = given_rows(LOW_STOCK.c.assortment_id, LOW_STOCK.c.store_id)
# Each wanted state looked up by its key and locked (a LATERAL with OFFSET 0, which the planner may not turn into a
# join), one after the other in the order the keys are given. Joined, a stale estimate (statistics lag the table
# while a first load fills it) had PostgreSQL read and hash the whole table for each batch: 14 ms a batch at ~100,000
# states, a tenth of the inventory's drain.
_STATE = (
    select(
        LowStockRow.assortment_id,
        LowStockRow.store_id,
        LowStockRow.active,
        LowStockRow.crossings,
        LowStockRow.raised_at,
        LowStockRow.changed_at,
        LowStockRow.stock,
        LowStockRow.minimum,
    )
    .where(LowStockRow.assortment_id == _WANTED.c.assortment_id, LowStockRow.store_id == _WANTED.c.store_id)
    .offset(0)
    .with_for_update(of=LowStockRow)
    .lateral("state")
)
_LOCKED_STATES = select(*_STATE.c).select_from(_WANTED).join(_STATE, true())


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_assortment(self, ids: Iterable[str], *, unnamed: Iterable[str] | None = None) -> None:
        """Hold these products/variants, and the products they belong to, until the transaction ends, so that
        evaluations concerning one product never run side by side in two replicas. Without it, a transaction that
        writes a product's minimum and another that writes a stock level of it (or of one of its variants) each
        settle the level without seeing the other's uncommitted row: both commit a state computed from half the facts
        (the minimum missing, an alert never raised). Keys in sorted order: two transactions never wait on each
        other.

        ``unnamed``: the ids whose product is not among ``ids`` (a deleted variant's), looked up in the assortment;
        by default every id is."""
        wanted = sorted(set(ids))
        if wanted:
            lookup = wanted if unnamed is None else sorted(set(unnamed))
            await self.session.execute(_LOCK, {"ids": wanted, "unnamed": lookup})

    async def locked_states(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], LowStock]:
        """The stored low-stock states of these products/stores (those that have one), locked until the transaction
        ends, in key order (each looked up by its key). One statement whatever the number of keys: they travel as two
        array parameters.

        Two evaluations of one product never run side by side: every caller holds ``lock_assortment`` first, which
        is what keeps a state that does not exist yet from being created twice."""
        if not keys:
            return {}
        ordered = sorted(set(keys))
        params = {"assortment_id": [a for a, _ in ordered], "store_id": [s for _, s in ordered]}
        rows = await self.session.execute(_LOCKED_STATES, params)
        return {(r.assortment_id, r.store_id): LowStock(*r) for r in rows}

    async def save_states(self, states: Sequence[LowStock]) -> None:
        """Write settled states (new ones, or rows locked by ``locked_states``): one statement for all of them."""
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

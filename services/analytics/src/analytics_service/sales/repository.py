"""SQL of the sales projection: document versions, facts and the daily roll-ups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.sales.facts import RollupDelta
from analytics_service.sales.models import DocumentRow, SalesDailyCustomer, SalesDailyProduct, SalesFact

FACT_COLUMNS = [c.name for c in SalesFact.__table__.columns]


class SalesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_version(self, header: dict[str, Any]) -> bool:
        """Store ``header`` if it is newer than what we hold; False for an older or the same version."""
        table = DocumentRow.__table__
        stmt = pg_insert(table).values(**header)
        upsert = stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={k: stmt.excluded[k] for k in header if k != "id"},
            where=table.c.source_version < stmt.excluded.source_version,
        ).returning(table.c.id)
        return (await self.session.execute(upsert)).first() is not None

    async def take_facts(self, document_id: str) -> list[dict[str, Any]]:
        """Delete a document's facts and return them, so their roll-up contribution can be taken away."""
        table = SalesFact.__table__
        stmt = delete(table).where(table.c.document_id == document_id).returning(*table.columns)
        return [dict(r._mapping) for r in (await self.session.execute(stmt)).all()]

    async def insert_facts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(SalesFact.__table__), list(rows))

    async def apply_rollups(self, delta: RollupDelta) -> None:
        await self._apply_products(delta)
        await self._apply_customers(delta)

    async def _apply_products(self, delta: RollupDelta) -> None:
        rows = [
            {"business_day": day, "assortment_id": a, "store_id": s, **vars(d)}
            for (day, a, s), d in sorted(delta.products.items())
        ]
        if not rows:
            return
        table = SalesDailyProduct.__table__
        stmt = pg_insert(table)
        summed = ("sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit")
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.business_day, table.c.assortment_id, table.c.store_id],
            set_={c: table.c[c] + stmt.excluded[c] for c in summed},
        )
        await self.session.execute(stmt, rows)

    async def _apply_customers(self, delta: RollupDelta) -> None:
        rows = [{"business_day": day, "customer_id": c, **vars(d)} for (day, c), d in sorted(delta.customers.items())]
        if not rows:
            return
        table = SalesDailyCustomer.__table__
        stmt = pg_insert(table)
        summed = ("sales_docs", "return_docs", "quantity", "revenue", "cost", "profit")
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.business_day, table.c.customer_id],
            set_={c: table.c[c] + stmt.excluded[c] for c in summed},
        )
        await self.session.execute(stmt, rows)

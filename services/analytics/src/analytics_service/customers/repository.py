"""Customer SQL over the daily customer roll-up, the facts and the counterparty dimension."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.catalog.models import ProductDim, VariantDim
from analytics_service.customers.models import CounterpartyDim
from analytics_service.customers.rfm import CustomerStats
from analytics_service.periods import Period
from analytics_service.sales.models import SalesDailyCustomer, SalesFact


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stats(self, window: Period) -> list[CustomerStats]:
        c = SalesDailyCustomer
        rows = await self.session.execute(
            select(
                c.customer_id,
                func.max(c.business_day).filter(c.sales_docs > 0).label("last_day"),
                func.sum(c.sales_docs).label("frequency"),
                func.sum(c.revenue).label("monetary"),
            )
            .where(c.business_day.between(window.start, window.end), c.customer_id != "")
            .group_by(c.customer_id)
            .having(func.sum(c.sales_docs) > 0)
            .order_by(c.customer_id)
        )
        return [CustomerStats(r.customer_id, r.last_day, int(r.frequency), Decimal(r.monetary)) for r in rows]

    async def names(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(CounterpartyDim.id, CounterpartyDim.name).where(CounterpartyDim.id.in_(ids))
        )
        return {k: v for k, v in rows}

    async def counterparty(self, customer_id: str) -> CounterpartyDim | None:
        return await self.session.get(CounterpartyDim, customer_id)

    async def lifetime(self, customer_id: str) -> dict[str, Any]:
        c = SalesDailyCustomer
        row = (
            await self.session.execute(
                select(
                    func.min(c.business_day).filter(c.sales_docs > 0).label("first_purchase"),
                    func.max(c.business_day).filter(c.sales_docs > 0).label("last_purchase"),
                    func.coalesce(func.sum(c.sales_docs), 0).label("sales_count"),
                    func.coalesce(func.sum(c.return_docs), 0).label("returns_count"),
                    func.coalesce(func.sum(c.revenue), 0).label("revenue"),
                    func.coalesce(func.sum(c.cost), 0).label("cost"),
                    func.coalesce(func.sum(c.profit), 0).label("profit"),
                    func.count().label("days"),
                ).where(c.customer_id == customer_id)
            )
        ).one()
        return dict(row._mapping)

    async def top_products(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        f = SalesFact
        name = func.coalesce(VariantDim.name, ProductDim.name)
        rows = await self.session.execute(
            select(
                f.assortment_id,
                func.max(name).label("name"),
                func.sum(f.quantity).label("quantity"),
                func.sum(f.revenue).label("revenue"),
            )
            .outerjoin(VariantDim, VariantDim.id == f.assortment_id)
            .outerjoin(ProductDim, ProductDim.id == f.product_id)
            .where(f.customer_id == customer_id)
            .group_by(f.assortment_id)
            .order_by(func.sum(f.revenue).desc(), f.assortment_id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

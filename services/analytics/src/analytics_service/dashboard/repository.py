"""Dashboard SQL, all over the daily roll-ups and the stock projection (never over raw facts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.catalog.models import ProductDim, VariantDim
from analytics_service.customers.models import CounterpartyDim
from analytics_service.periods import Period
from analytics_service.sales.models import DocumentRow, SalesDailyCustomer, SalesDailyProduct
from analytics_service.stock.models import StockLevelRow

ZERO = Decimal(0)


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sales_totals(self, period: Period) -> dict[str, Any]:
        p = SalesDailyProduct
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(p.revenue), ZERO).label("revenue"),
                    func.coalesce(func.sum(p.vat), ZERO).label("vat"),
                    func.coalesce(func.sum(p.cost), ZERO).label("cost"),
                    func.coalesce(func.sum(p.profit), ZERO).label("profit"),
                    func.coalesce(func.sum(p.sold_quantity), ZERO).label("units_sold"),
                    func.coalesce(func.sum(p.returned_quantity), ZERO).label("units_returned"),
                ).where(p.business_day.between(period.start, period.end))
            )
        ).one()
        return dict(row._mapping)

    async def customer_totals(self, period: Period) -> dict[str, Any]:
        c = SalesDailyCustomer
        in_period = c.business_day.between(period.start, period.end)
        docs = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(c.sales_docs), 0).label("sales_count"),
                    func.coalesce(func.sum(c.return_docs), 0).label("returns_count"),
                ).where(in_period)
            )
        ).one()
        buyers = (
            select(c.customer_id)
            .where(in_period, c.sales_docs > 0, c.customer_id != "")
            .group_by(c.customer_id)
            .subquery()
        )
        first = select(func.min(c.business_day)).where(c.customer_id == buyers.c.customer_id, c.sales_docs > 0)
        first_day = first.scalar_subquery()
        counts = (
            await self.session.execute(
                select(
                    func.count().label("customers"),
                    func.count().filter(first_day >= period.start).label("new_customers"),
                ).select_from(buyers)
            )
        ).one()
        return {
            **dict(docs._mapping),
            "customers": counts.customers,
            "new_customers": counts.new_customers,
            "returning_customers": counts.customers - counts.new_customers,
        }

    async def orders(self, period: Period) -> dict[str, Any]:
        d = DocumentRow
        row = (
            await self.session.execute(
                select(
                    func.count().label("orders_count"), func.coalesce(func.sum(d.total), ZERO).label("orders_amount")
                )
                .where(d.kind == "customer_order", d.applicable.is_(True), d.deleted.is_(False))
                .where(d.business_day.between(period.start, period.end))
            )
        ).one()
        return dict(row._mapping)

    async def top_products(self, period: Period, limit: int) -> list[dict[str, Any]]:
        p = SalesDailyProduct
        name = func.coalesce(VariantDim.name, ProductDim.name)
        rows = await self.session.execute(
            select(
                p.assortment_id,
                func.max(p.product_id).label("product_id"),
                func.max(name).label("name"),
                func.sum(p.sold_quantity - p.returned_quantity).label("quantity"),
                func.sum(p.revenue).label("revenue"),
                func.sum(p.profit).label("profit"),
            )
            .outerjoin(VariantDim, VariantDim.id == p.assortment_id)
            .outerjoin(ProductDim, ProductDim.id == p.product_id)
            .where(p.business_day.between(period.start, period.end))
            .group_by(p.assortment_id)
            .order_by(func.sum(p.revenue).desc(), p.assortment_id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    async def top_customers(self, period: Period, limit: int) -> list[dict[str, Any]]:
        c = SalesDailyCustomer
        rows = await self.session.execute(
            select(
                c.customer_id,
                func.max(CounterpartyDim.name).label("name"),
                func.sum(c.sales_docs).label("sales_count"),
                func.sum(c.revenue).label("revenue"),
                func.sum(c.profit).label("profit"),
            )
            .outerjoin(CounterpartyDim, CounterpartyDim.id == c.customer_id)
            .where(c.business_day.between(period.start, period.end), c.customer_id != "")
            .group_by(c.customer_id)
            .order_by(func.sum(c.revenue).desc(), c.customer_id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    async def stock_summary(self) -> dict[str, Any]:
        s = StockLevelRow
        sale_price = func.coalesce(VariantDim.sale_price, ProductDim.sale_price, ZERO)
        per_item = (
            select(
                s.assortment_id,
                func.sum(s.stock).label("stock"),
                func.sum(case((s.stock > 0, s.stock * func.coalesce(s.unit_cost, ZERO)), else_=ZERO)).label("at_cost"),
                func.sum(case((s.stock > 0, s.stock * sale_price), else_=ZERO)).label("at_sale"),
                func.max(func.coalesce(s.minimum_stock, ProductDim.minimum_stock)).label("minimum"),
            )
            .outerjoin(VariantDim, and_(VariantDim.id == s.assortment_id, s.assortment_kind == "variant"))
            .outerjoin(ProductDim, ProductDim.id == s.product_id)
            .group_by(s.assortment_id)
            .subquery()
        )
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(per_item.c.at_cost), ZERO).label("value_at_cost"),
                    func.coalesce(func.sum(per_item.c.at_sale), ZERO).label("value_at_sale_price"),
                    func.count(distinct(per_item.c.assortment_id))
                    .filter(per_item.c.minimum > 0, per_item.c.stock < per_item.c.minimum)
                    .label("low_stock_count"),
                )
            )
        ).one()
        return dict(row._mapping)

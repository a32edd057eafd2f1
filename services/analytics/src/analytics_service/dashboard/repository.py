"""Dashboard SQL, all over the roll-ups and the stock projection (never over raw facts).

Figures come from the per-day totals; the top lists and the customer counts from the monthly roll-ups for the
months a period covers, plus or minus the daily roll-ups for the days at its edges (`periods.cover`). Each part is a
handful of rows per day or a few thousand per month, where the daily product roll-up alone holds a row per day,
product and store (README, "Reports at 1M positions").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, Table, and_, case, distinct, func, or_, select, union_all

from analytics_service.catalog.models import ProductDim, VariantDim
from analytics_service.customers.models import CounterpartyDim
from analytics_service.periods import Cover, Period, cover, month_of
from analytics_service.sales.models import (
    DocumentRow,
    SalesCustomerFirst,
    SalesDailyCustomer,
    SalesDailyProduct,
    SalesDailyTotal,
    SalesMonthlyCustomer,
    SalesMonthlyProduct,
)
from analytics_service.stock.models import StockLevelRow
from crm_common.db import Reads

ZERO = Decimal(0)
Columns = Callable[[Table, int], list[ColumnElement[Any]]]


def _signed(column: ColumnElement[Any], sign: int) -> ColumnElement[Any]:
    return column if sign > 0 else -column


def _product_columns(t: Table, sign: int) -> list[ColumnElement[Any]]:
    return [
        t.c.assortment_id,
        t.c.product_id,
        _signed(t.c.documents, sign).label("documents"),
        _signed(t.c.sold_quantity - t.c.returned_quantity, sign).label("quantity"),
        _signed(t.c.revenue, sign).label("revenue"),
        _signed(t.c.profit, sign).label("profit"),
    ]


def _customer_columns(t: Table, sign: int) -> list[ColumnElement[Any]]:
    return [
        t.c.customer_id,
        *(_signed(t.c[name], sign).label(name) for name in ("sales_docs", "return_docs", "revenue", "profit")),
    ]


def _parts(covered: Cover, monthly: Table, daily: Table, columns: Columns) -> list[Select[Any]]:
    parts = [select(*columns(monthly, 1)).where(monthly.c.month.in_(covered.months))] if covered.months else []
    for span, sign in covered.days:
        parts.append(select(*columns(daily, sign)).where(daily.c.business_day.between(span.start, span.end)))
    return parts


def _spanned(covered: Cover, monthly: Table, daily: Table, columns: Columns) -> Subquery:
    """The rows whose signed sums are the period's, by the roll-ups' own key."""
    parts = _parts(covered, monthly, daily, columns)
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def _customers(covered: Cover) -> Subquery:
    """One row per customer with documents in the period ('' excluded): its sale and return documents and sums."""
    monthly = SalesMonthlyCustomer.__table__
    if len(covered.months) == 1 and not covered.days:  # a whole month: its rows are those already, no grouping
        return (
            select(*_customer_columns(monthly, 1))
            .where(monthly.c.month == covered.months[0])
            .where(monthly.c.customer_id != "")
            .subquery()
        )
    u = _spanned(covered, monthly, SalesDailyCustomer.__table__, _customer_columns)
    sums = (func.sum(u.c[name]).label(name) for name in ("sales_docs", "return_docs", "revenue", "profit"))
    return (
        select(u.c.customer_id, *sums)
        .where(u.c.customer_id != "")
        .group_by(u.c.customer_id)
        .having(func.sum(u.c.sales_docs) + func.sum(u.c.return_docs) > 0)  # customers only on days taken away
        .subquery()
    )


class DashboardRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session
        self._covers: dict[Period, Cover] = {}
        self._totals: dict[Period, dict[str, Any]] = {}

    async def cover(self, period: Period) -> Cover:
        """The period's cover, weighing day ranges by the documents on their days (a day without any costs one)."""
        if period not in self._covers:
            t = SalesDailyTotal
            first, last = month_of(period.start), month_of(period.end)
            rows = await self.session.execute(
                select(t.business_day, t.sales_docs + t.return_docs).where(
                    or_(t.business_day.between(first.start, first.end), t.business_day.between(last.start, last.end))
                )
            )
            documents: dict[date, int] = {day: n for day, n in rows}

            def weight(span: Period) -> int:
                return span.days + sum(n for day, n in documents.items() if span.start <= day <= span.end)

            self._covers[period] = cover(period, weight)
        return self._covers[period]

    async def _day_totals(self, period: Period) -> dict[str, Any]:
        """Every sum of the per-day totals over the period, asked once per period."""
        if period not in self._totals:
            t = SalesDailyTotal
            sums = {
                "revenue": t.revenue,
                "vat": t.vat,
                "cost": t.cost,
                "profit": t.profit,
                "units_sold": t.sold_quantity,
                "units_returned": t.returned_quantity,
                "sales_count": t.sales_docs,
                "returns_count": t.return_docs,
            }
            query = select(*(func.coalesce(func.sum(c), 0).label(name) for name, c in sums.items()))
            row = (await self.session.execute(query.where(t.business_day.between(period.start, period.end)))).one()
            self._totals[period] = dict(row._mapping)
        return self._totals[period]

    async def sales_totals(self, period: Period) -> dict[str, Any]:
        totals = await self._day_totals(period)
        return {k: totals[k] for k in ("revenue", "vat", "cost", "profit", "units_sold", "units_returned")}

    async def customer_totals(self, period: Period) -> dict[str, Any]:
        totals = await self._day_totals(period)
        customers = _customers(await self.cover(period))
        buyers = select(customers.c.customer_id).where(customers.c.sales_docs > 0).subquery()
        first = SalesCustomerFirst
        counts = (
            await self.session.execute(
                select(
                    func.count().label("customers"),
                    func.count().filter(first.first_sale_day >= period.start).label("new_customers"),
                ).select_from(buyers.outerjoin(first, first.customer_id == buyers.c.customer_id))
            )
        ).one()
        return {
            "sales_count": totals["sales_count"],
            "returns_count": totals["returns_count"],
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
        u = _spanned(
            await self.cover(period), SalesMonthlyProduct.__table__, SalesDailyProduct.__table__, _product_columns
        )
        top = (
            select(
                u.c.assortment_id,
                func.max(u.c.product_id).label("product_id"),
                func.sum(u.c.quantity).label("quantity"),
                func.sum(u.c.revenue).label("revenue"),
                func.sum(u.c.profit).label("profit"),
            )
            .group_by(u.c.assortment_id)
            .having(func.sum(u.c.documents) > 0)  # a product sold only on days taken away
            .order_by(func.sum(u.c.revenue).desc(), u.c.assortment_id)
            .limit(limit)
            .subquery()
        )
        rows = await self.session.execute(
            select(
                top.c.assortment_id,
                top.c.product_id,
                func.coalesce(VariantDim.name, ProductDim.name).label("name"),
                top.c.quantity,
                top.c.revenue,
                top.c.profit,
            )
            .outerjoin(VariantDim, VariantDim.id == top.c.assortment_id)
            .outerjoin(ProductDim, ProductDim.id == top.c.product_id)
            .order_by(top.c.revenue.desc(), top.c.assortment_id)
        )
        return [dict(r._mapping) for r in rows]

    async def top_customers(self, period: Period, limit: int) -> list[dict[str, Any]]:
        c = _customers(await self.cover(period))
        top = (
            select(c.c.customer_id, c.c.sales_docs.label("sales_count"), c.c.revenue, c.c.profit)
            .order_by(c.c.revenue.desc(), c.c.customer_id)
            .limit(limit)
            .subquery()
        )
        rows = await self.session.execute(
            select(top.c.customer_id, CounterpartyDim.name, top.c.sales_count, top.c.revenue, top.c.profit)
            .outerjoin(CounterpartyDim, CounterpartyDim.id == top.c.customer_id)
            .order_by(top.c.revenue.desc(), top.c.customer_id)
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

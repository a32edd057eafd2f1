"""Inventory report SQL over the stock projection and the daily product roll-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select

from analytics_service.catalog.models import ProductDim, VariantDim
from analytics_service.periods import Period
from analytics_service.sales.models import SalesDailyProduct
from analytics_service.stock.models import StockLevelRow
from crm_common.db import Reads

ZERO = Decimal(0)


class InventoryRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def stock(self, store_id: str | None) -> dict[str, dict[str, Any]]:
        s = StockLevelRow
        sale_price = func.coalesce(VariantDim.sale_price, ProductDim.sale_price, ZERO)
        query = (
            select(
                s.assortment_id,
                func.max(s.product_id).label("product_id"),
                func.sum(s.stock).label("stock"),
                func.sum(case((s.stock > 0, s.stock * func.coalesce(s.unit_cost, ZERO)), else_=ZERO)).label("at_cost"),
                func.sum(case((s.stock > 0, s.stock * sale_price), else_=ZERO)).label("at_sale"),
            )
            .outerjoin(VariantDim, and_(VariantDim.id == s.assortment_id, s.assortment_kind == "variant"))
            .outerjoin(ProductDim, ProductDim.id == s.product_id)
            .group_by(s.assortment_id)
        )
        if store_id:
            query = query.where(s.store_id == store_id)
        return {r.assortment_id: dict(r._mapping) for r in await self.session.execute(query)}

    async def sales(self, period: Period, store_id: str | None) -> dict[str, dict[str, Any]]:
        p = SalesDailyProduct
        query = (
            select(
                p.assortment_id,
                func.max(p.product_id).label("product_id"),
                func.sum(p.sold_quantity - p.returned_quantity).label("sold"),
                func.sum(p.revenue).label("revenue"),
                func.sum(p.profit).label("profit"),
                func.sum(p.cost).label("cost"),
            )
            .where(p.business_day.between(period.start, period.end))
            .group_by(p.assortment_id)
        )
        if store_id:
            query = query.where(p.store_id == store_id)
        return {r.assortment_id: dict(r._mapping) for r in await self.session.execute(query)}

    async def weekly_demand(self, period: Period, store_id: str | None) -> dict[str, dict[int, Decimal]]:
        p = SalesDailyProduct
        week = func.floor((p.business_day - period.start) / 7).label("week")
        query = (
            select(p.assortment_id, week, func.sum(p.sold_quantity - p.returned_quantity).label("units"))
            .where(p.business_day.between(period.start, period.end))
            .group_by(p.assortment_id, week)
        )
        if store_id:
            query = query.where(p.store_id == store_id)
        out: dict[str, dict[int, Decimal]] = {}
        for r in await self.session.execute(query):
            out.setdefault(r.assortment_id, {})[int(r.week)] = r.units
        return out

    async def last_sale_days(self, ids: set[str], up_to: date) -> dict[str, date]:
        if not ids:
            return {}
        p = SalesDailyProduct
        rows = await self.session.execute(
            select(p.assortment_id, func.max(p.business_day))
            .where(p.assortment_id.in_(ids), p.sold_quantity > 0, p.business_day <= up_to)
            .group_by(p.assortment_id)
        )
        return {k: v for k, v in rows}

    async def names(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        products = await self.session.execute(select(ProductDim.id, ProductDim.name).where(ProductDim.id.in_(ids)))
        variants = await self.session.execute(select(VariantDim.id, VariantDim.name).where(VariantDim.id.in_(ids)))
        return {**{k: v for k, v in products}, **{k: v for k, v in variants}}

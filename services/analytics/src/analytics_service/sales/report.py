"""The sales report: facts grouped by a time bucket and a dimension, filtered, with totals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date

from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from analytics_service.customers.models import CounterpartyDim
from analytics_service.money import percent, qty, rub
from analytics_service.periods import Period
from analytics_service.sales.models import SalesFact
from analytics_service.sales.schemas import (
    Dimension,
    ReportFilters,
    ReportRow,
    ReportTotals,
    SalesReport,
    SortField,
    TimeGrouping,
)

f = SalesFact.__table__.c


def _bucket(grouping: TimeGrouping) -> ColumnElement[Any]:
    if grouping is TimeGrouping.DAY:
        return f.business_day
    if grouping is TimeGrouping.NONE:
        return literal(None, Date)
    return cast(func.date_trunc(grouping.value, f.business_day), Date)


def _dimension(dimension: Dimension) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The grouping key and a name for it (names are looked up when the rows are known)."""
    keys: dict[Dimension, ColumnElement[Any]] = {
        Dimension.PRODUCT: f.assortment_id,
        Dimension.FOLDER: func.coalesce(ProductDim.folder_id, ""),
        Dimension.CUSTOMER: f.customer_id,
        Dimension.STORE: f.store_id,
        Dimension.NONE: literal(None, ProductDim.folder_id.type),
    }
    return keys[dimension], keys[dimension]


def _filtered(query: Select[Any], period: Period, filters: ReportFilters, dimension: Dimension) -> Select[Any]:
    query = query.select_from(SalesFact.__table__).where(f.business_day.between(period.start, period.end))
    if dimension is Dimension.FOLDER or filters.folder_id:
        query = query.outerjoin(ProductDim, ProductDim.id == f.product_id)
    if filters.product_id:
        query = query.where(or_(f.product_id == filters.product_id, f.assortment_id == filters.product_id))
    if filters.folder_id:
        query = query.where(ProductDim.folder_id == filters.folder_id)
    for name in ("customer_id", "store_id", "organization_id"):
        if value := getattr(filters, name):
            query = query.where(f[name] == value)
    return query


def _measures() -> list[ColumnElement[Any]]:
    return [
        func.count(func.distinct(f.document_id)).label("documents"),
        func.coalesce(func.sum(f.quantity), 0).label("quantity"),
        func.coalesce(func.sum(f.revenue), 0).label("revenue"),
        func.coalesce(func.sum(f.vat), 0).label("vat"),
        func.coalesce(func.sum(f.cost), 0).label("cost"),
        func.coalesce(func.sum(f.profit), 0).label("profit"),
    ]


async def _names(session: AsyncSession, dimension: Dimension, keys: set[str]) -> dict[str, str]:
    if not keys or dimension is Dimension.NONE:
        return {}
    if dimension is Dimension.PRODUCT:
        variants = await session.execute(select(VariantDim.id, VariantDim.name).where(VariantDim.id.in_(keys)))
        products = await session.execute(select(ProductDim.id, ProductDim.name).where(ProductDim.id.in_(keys)))
        return {**{k: v for k, v in products}, **{k: v for k, v in variants}}
    model: Any = {Dimension.FOLDER: FolderDim, Dimension.CUSTOMER: CounterpartyDim, Dimension.STORE: StoreDim}[
        dimension
    ]
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(keys)))
    return {k: v for k, v in rows}


def _row(values: dict[str, Any], name: str | None) -> ReportRow:
    return ReportRow(
        bucket=values["bucket"],
        key=values["key"],
        name=name,
        documents=int(values["documents"]),
        quantity=qty(values["quantity"]),
        revenue=rub(values["revenue"]),
        vat=rub(values["vat"]),
        cost=rub(values["cost"]),
        profit=rub(values["profit"]),
        margin_percent=percent(values["profit"], values["revenue"]),
    )


async def sales_report(
    session: AsyncSession,
    period: Period,
    *,
    time: TimeGrouping,
    dimension: Dimension,
    filters: ReportFilters,
    sort: SortField = SortField.REVENUE,
    descending: bool = True,
    limit: int | None = 100,
    offset: int = 0,
) -> SalesReport:
    bucket = _bucket(time).label("bucket")
    key, _ = _dimension(dimension)
    key = key.label("key")
    grouped = _filtered(select(bucket, key, *_measures()), period, filters, dimension).group_by(bucket, key).subquery()
    order_col = grouped.c[sort.value]
    order = order_col.desc().nulls_last() if descending else order_col.asc().nulls_first()
    page = select(grouped).order_by(order, grouped.c.bucket, grouped.c.key).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    rows = [dict(r._mapping) for r in await session.execute(page)]
    total_rows = int(await session.scalar(select(func.count()).select_from(grouped)) or 0)
    totals = (await session.execute(_filtered(select(*_measures()), period, filters, dimension))).one()._mapping
    names = await _names(session, dimension, {r["key"] for r in rows if r["key"]})
    return SalesReport(
        start=period.start,
        end=period.end,
        group_by_time=time,
        group_by=dimension,
        total_rows=total_rows,
        rows=[_row(r, names.get(r["key"] or "")) for r in rows],
        totals=ReportTotals(
            **_row({**totals, "bucket": None, "key": None}, None).model_dump(exclude={"bucket", "key", "name"})
        ),
    )

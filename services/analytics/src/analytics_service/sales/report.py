"""The sales report: sales grouped by a time bucket and a dimension, filtered, with totals.

Answered from a daily roll-up whenever the grouping and filters fit its grain (every measure, document counts
included, is then exact), and from the raw facts otherwise (folders, or products filtered by customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, cast, func, literal, or_, select
from sqlalchemy.types import Date

from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from analytics_service.customers.models import CounterpartyDim
from analytics_service.money import percent, qty, rub
from analytics_service.periods import Period
from analytics_service.sales.models import SalesDailyDocument, SalesDailyProduct, SalesFact
from analytics_service.sales.schemas import (
    Dimension,
    ReportFilters,
    ReportRow,
    ReportTotals,
    SalesReport,
    SortField,
    TimeGrouping,
)
from crm_common.db import Reads


@dataclass(frozen=True)
class Source:
    """A table the report can read: which key columns it has and how its rows sum up to the report's measures."""

    table: Table
    measures: tuple[ColumnElement[Any], ...]  # documents, quantity, revenue, vat, cost, profit

    def col(self, name: str) -> ColumnElement[Any]:
        return self.table.c[name]

    def has(self, name: str) -> bool:
        return name in self.table.c


def _sums(t: Table, documents: ColumnElement[Any], quantity: ColumnElement[Any]) -> tuple[ColumnElement[Any], ...]:
    return (
        func.coalesce(documents, 0).label("documents"),
        func.coalesce(func.sum(quantity), 0).label("quantity"),
        *(func.coalesce(func.sum(t.c[m]), 0).label(m) for m in ("revenue", "vat", "cost", "profit")),
    )


_facts, _products, _documents = SalesFact.__table__, SalesDailyProduct.__table__, SalesDailyDocument.__table__
FACTS = Source(_facts, _sums(_facts, func.count(func.distinct(_facts.c.document_id)), _facts.c.quantity))
# Documents add up in these roll-ups only along their grain (see the models), which `_plan` respects.
PRODUCTS = Source(
    _products,
    _sums(_products, func.sum(_products.c.documents), _products.c.sold_quantity - _products.c.returned_quantity),
)
DOCUMENTS = Source(_documents, _sums(_documents, func.sum(_documents.c.documents), _documents.c.quantity))


@dataclass(frozen=True)
class Plan:
    rows: Source
    totals: Source
    total_documents: Source  # where the distinct document count of the whole period comes from


def _plan(dimension: Dimension, filters: ReportFilters) -> Plan:
    """The smallest tables that answer exactly: a roll-up where its grain allows, the raw facts otherwise."""
    by_product = bool(filters.product_id or filters.folder_id)
    by_partner = bool(filters.customer_id or filters.organization_id)
    if dimension in (Dimension.NONE, Dimension.CUSTOMER, Dimension.STORE) and not by_product:
        return Plan(DOCUMENTS, DOCUMENTS, DOCUMENTS)
    if dimension is Dimension.PRODUCT and not by_partner:
        return Plan(PRODUCTS, PRODUCTS, FACTS if by_product else DOCUMENTS)
    return Plan(FACTS, FACTS, FACTS)


def _bucket(grouping: TimeGrouping, source: Source) -> ColumnElement[Any]:
    day = source.col("business_day")
    if grouping is TimeGrouping.DAY:
        return day
    if grouping is TimeGrouping.NONE:
        return literal(None, Date)
    return cast(func.date_trunc(grouping.value, day), Date)


def _dimension(dimension: Dimension, source: Source) -> ColumnElement[Any]:
    """The grouping key (names are looked up when the rows are known)."""
    if dimension is Dimension.NONE:
        return literal(None, ProductDim.folder_id.type)
    if dimension is Dimension.FOLDER:
        return func.coalesce(ProductDim.folder_id, "")
    column = {Dimension.PRODUCT: "assortment_id", Dimension.CUSTOMER: "customer_id", Dimension.STORE: "store_id"}
    return source.col(column[dimension])


def _filtered(
    query: Select[Any], source: Source, period: Period, filters: ReportFilters, dimension: Dimension
) -> Select[Any]:
    query = query.select_from(source.table).where(source.col("business_day").between(period.start, period.end))
    if dimension is Dimension.FOLDER or filters.folder_id:
        query = query.outerjoin(ProductDim, ProductDim.id == source.col("product_id"))
    if filters.product_id:
        query = query.where(
            or_(source.col("product_id") == filters.product_id, source.col("assortment_id") == filters.product_id)
        )
    if filters.folder_id:
        query = query.where(ProductDim.folder_id == filters.folder_id)
    for name in ("customer_id", "store_id", "organization_id"):
        if value := getattr(filters, name):
            query = query.where(source.col(name) == value)
    return query


async def _names(session: Reads, dimension: Dimension, keys: set[str]) -> dict[str, str]:
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
    session: Reads,
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
    plan = _plan(dimension, filters)
    source = plan.rows
    bucket = _bucket(time, source).label("bucket")
    key = _dimension(dimension, source).label("key")
    grouped = (
        _filtered(select(bucket, key, *source.measures), source, period, filters, dimension)
        .group_by(bucket, key)
        .subquery()
    )
    order_col = grouped.c[sort.value]
    order = order_col.desc().nulls_last() if descending else order_col.asc().nulls_first()
    page = (
        select(grouped, func.count().over().label("total_rows"))
        .order_by(order, grouped.c.bucket, grouped.c.key)
        .offset(offset)
    )
    if limit is not None:
        page = page.limit(limit)
    rows = [dict(r._mapping) for r in await session.execute(page)]
    if rows:
        total_rows = int(rows[0]["total_rows"])
    else:  # a page past the end: count the groups on their own
        total_rows = int(await session.scalar(select(func.count()).select_from(grouped)) or 0)
    totals = dict(
        (await session.execute(_filtered(select(*plan.totals.measures), plan.totals, period, filters, dimension)))
        .one()
        ._mapping
    )
    if plan.total_documents is not plan.totals:
        documents = select(plan.total_documents.measures[0])
        totals["documents"] = await session.scalar(
            _filtered(documents, plan.total_documents, period, filters, dimension)
        )
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

"""SQL for products: the versioned table, prices, and the filtered, sorted, paged listing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, String, Table, any_, delete, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.folders.repository import subtree_ids
from catalog_service.products.models import ProductPriceRow, ProductRow
from catalog_service.products.schemas import ProductQuery, ProductSort
from catalog_service.variants.models import VariantRow
from crm_common.versioned import VersionedTable, insert_rows

products = cast(Table, ProductRow.__table__)
prices_table = cast(Table, ProductPriceRow.__table__)
PRODUCTS = VersionedTable(
    products, origin=True, placeholder=lambda d: {"kind": "product", "name": "", "updated_at": d.deleted_at}
)
# Columns a product list never shows: not fetched (``components`` is jsonb, decoded for nothing otherwise).
NOT_LISTED = frozenset({"components", "description", "weight", "volume", "deleted_at"})


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own wildcards escaped, so a user's `%` or `_` matches itself."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_prices(self, prices: dict[str, list[dict[str, Any]]]) -> None:
        """Each product's sale prices become exactly the listed ones, in their order."""
        if not prices:
            return
        await self.session.execute(delete(ProductPriceRow).where(ProductPriceRow.product_id.in_(list(prices))))
        rows = [
            {"product_id": product_id, "position": i, **price}
            for product_id, listed in prices.items()
            for i, price in enumerate(listed)
        ]
        await insert_rows(self.session, prices_table, rows)

    async def get(self, product_id: str) -> Row[Any] | None:
        """The product unless it is unknown or deleted (a plain row, as ``search`` reads them)."""
        rows = await self.session.execute(
            select(*(c for c in products.c if c.name != "deleted_at")).where(
                products.c.id == product_id, products.c.deleted_at.is_(None)
            )
        )
        return rows.first()

    async def names(self, product_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(product_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(ProductRow.id, ProductRow.name).where(ProductRow.id.in_(ids), ProductRow.deleted_at.is_(None))
        )
        return {row.id: row.name for row in rows}

    async def prices(self, product_ids: Iterable[str]) -> dict[str, list[Row[Any]]]:
        """Sale prices per product, in their order (Core rows, read-only)."""
        ids = list(set(product_ids))
        found: dict[str, list[Row[Any]]] = defaultdict(list)
        if ids:
            # ``= ANY(array)``: one bind parameter, where ``IN`` rendered one per id into the statement on every call.
            rows = await self.session.execute(
                select(*prices_table.c)
                .where(prices_table.c.product_id == any_(literal(ids, ARRAY(String))))
                .order_by(prices_table.c.product_id, prices_table.c.position)
            )
            for row in rows:
                found[row.product_id].append(row)
        return found

    async def search(self, query: ProductQuery) -> tuple[list[Row[Any]], int]:
        """One page of the live products matching ``query`` (Core rows: read-only, so no ORM identity map or
        instance state; about a quarter of a list request's CPU went there), and how many match in all."""
        conditions = _conditions(query)
        total = await self.session.scalar(select(func.count()).select_from(products).where(*conditions))
        order = _order_by(query)
        rows = await self.session.execute(
            select(*(c for c in products.c if c.name not in NOT_LISTED))
            .where(*conditions)
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
        )
        return list(rows), int(total or 0)


def _main_price(query: ProductQuery) -> Any:
    """The price a range filter or a price sort looks at: the named price type, else the first (main) price."""
    which = (
        ProductPriceRow.price_type == query.price_type
        if query.price_type is not None
        else ProductPriceRow.position == 0
    )
    return (
        select(ProductPriceRow.amount)
        .where(ProductPriceRow.product_id == ProductRow.id, which)
        .order_by(ProductPriceRow.position)
        .limit(1)
        .correlate(ProductRow)
        .scalar_subquery()
    )


def _conditions(query: ProductQuery) -> list[ColumnElement[bool]]:
    p = ProductRow
    conditions: list[ColumnElement[bool]] = [p.deleted_at.is_(None)]
    if query.kind is not None:
        conditions.append(p.kind == query.kind.value)
    if query.source is not None:
        conditions.append(p.source == query.source)
    if query.archived is not None:
        conditions.append(p.archived.is_(query.archived))
    if query.updated_since is not None:
        conditions.append(p.updated_at >= query.updated_since)
    if query.folder_id is not None:
        if query.include_subfolders:
            conditions.append(or_(p.folder_id == query.folder_id, p.folder_id.in_(subtree_ids(query.folder_id))))
        else:
            conditions.append(p.folder_id == query.folder_id)
    if query.text:
        conditions.append(_matches_text(query.text))
    if query.price_min is not None or query.price_max is not None:
        price = _main_price(query)
        if query.price_min is not None:
            conditions.append(price >= query.price_min)
        if query.price_max is not None:
            conditions.append(price <= query.price_max)
    return conditions


def _matches_text(text: str) -> ColumnElement[bool]:
    """Name, code or article containing ``text`` (any case), or a barcode equal to it, on the product or a variant."""
    p, v = ProductRow, VariantRow
    pattern = like_pattern(text.strip())
    exact = text.strip()
    variant_hit = exists(
        select(v.id).where(
            v.product_id == p.id,
            v.deleted_at.is_(None),
            or_(
                v.barcodes.contains([exact]), v.code.ilike(pattern, escape="\\"), v.article.ilike(pattern, escape="\\")
            ),
        )
    )
    return or_(
        p.name.ilike(pattern, escape="\\"),
        p.code.ilike(pattern, escape="\\"),
        p.article.ilike(pattern, escape="\\"),
        p.barcodes.contains([exact]),
        variant_hit,
    )


def _order_by(query: ProductQuery) -> list[Any]:
    p = ProductRow
    columns: dict[str, Any] = {
        ProductSort.NAME.field: p.name,
        ProductSort.CODE.field: p.code,
        ProductSort.ARTICLE.field: p.article,
        ProductSort.UPDATED_AT.field: p.updated_at,
        ProductSort.PRICE.field: _main_price(query),
    }
    column = columns[query.sort.field]
    ordered = column.desc().nulls_last() if query.sort.descending else column.asc().nulls_last()
    # The id breaks ties so that pages never overlap or skip a row.
    return [ordered, p.id.desc() if query.sort.descending else p.id.asc()]

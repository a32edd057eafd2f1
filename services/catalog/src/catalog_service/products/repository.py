"""SQL for products: the versioned table, prices, and the filtered, sorted, paged listing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from catalog_service.folders.repository import subtree_ids
from catalog_service.money import PRICE_FIELDS
from catalog_service.products.models import ProductPriceRow, ProductRow
from catalog_service.products.schemas import ProductQuery, ProductSort
from catalog_service.variants.models import VariantRow
from crm_common.db import Reads, fetch, like_pattern, session_of
from crm_common.versioned import VersionedTable, insert_rows

products = cast(Table, ProductRow.__table__)
prices_table = cast(Table, ProductPriceRow.__table__)
PRODUCTS = VersionedTable(
    products, origin=True, placeholder=lambda d: {"kind": "product", "name": "", "updated_at": d.deleted_at}
)
# Columns a product list never shows: not fetched (``components`` is jsonb, decoded for nothing otherwise).
NOT_LISTED = frozenset({"components", "description", "weight", "volume", "deleted_at"})

# The price rows of the products ``:ids``, for the planner an unknown handful of values (`ARRAY(SELECT unnest(...))`),
# so a scan of the primary key's index. With the values in view (an `IN` list, or the array itself) a stale estimate
# (statistics lag the table while a first load fills it) had PostgreSQL read the whole table for every batch: 3-4 ms
# a batch at ~40,000 prices, mostly for products that had none. Reproduced alone over 40,000 prices and 500 ids:
# 6.5 ms read whole, 3.9 ms by the index, 8.2 ms looked up id by id (a bitmap scan each; docs/operations.md,
# "Catalog's old prices, by the index").
_IDS = func.array(select(func.unnest(bindparam("ids", type_=ARRAY(String)))).scalar_subquery())
DELETE_PRICES = delete(prices_table).where(prices_table.c.product_id == any_(_IDS))


class ProductRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def replace_prices(self, prices: dict[str, list[dict[str, Any]]]) -> None:
        """Each product's sale prices become exactly the listed ones, in their order."""
        if not prices:
            return
        await self.session.execute(DELETE_PRICES, {"ids": list(prices)})
        rows = [
            {"product_id": product_id, "position": i, **price}
            for product_id, listed in prices.items()
            for i, price in enumerate(listed)
        ]
        await insert_rows(session_of(self.session), prices_table, rows)

    async def get(self, product_id: str) -> Any | None:
        """The product unless it is unknown or deleted (a row read by column name)."""
        rows = await fetch(self.session, ONE_PRODUCT, {"id": product_id})
        return rows[0] if rows else None

    async def names(self, product_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(product_ids))
        if not ids:
            return {}
        return {row["id"]: row["name"] for row in await fetch(self.session, NAMES, {"ids": ids})}

    async def prices(self, product_ids: Iterable[str]) -> dict[str, list[Any]]:
        """Sale prices per product, in their order (rows read by column name)."""
        ids = list(set(product_ids))
        found: dict[str, list[Any]] = defaultdict(list)
        if ids:
            for row in await fetch(self.session, PRICES, {"ids": ids}):
                found[row["product_id"]].append(row)
        return found

    async def search(self, query: ProductQuery) -> tuple[list[Any], int]:
        """One page of the live products matching ``query`` (rows read by column name), and how many match in all."""
        count, page = _listing(query)
        params = _params(query)
        total = (await fetch(self.session, count, params))[0]["total"]
        return await fetch(self.session, page, params), int(total)


# The statements are built once (per query shape for the listing) with named bind parameters and run by
# crm_common.db.fetch: no statement built, compiled and wrapped by SQLAlchemy on every request
# (docs/architecture.md, "API conventions").
ONE_PRODUCT = select(*(c for c in products.c if c.name != "deleted_at")).where(
    products.c.id == bindparam("id"), products.c.deleted_at.is_(None)
)
# ``= ANY(:ids)``: one array parameter, where ``IN`` rendered one parameter per id into the statement on every call.
NAMES = select(products.c.id, products.c.name).where(
    products.c.id == any_(bindparam("ids", type_=ARRAY(String))), products.c.deleted_at.is_(None)
)
# A price's columns in PriceOut's field order (money.PRICE_FIELDS), then its product.
PRICES = (
    select(*(prices_table.c[name] for name in PRICE_FIELDS), prices_table.c.product_id)
    .where(prices_table.c.product_id == any_(bindparam("ids", type_=ARRAY(String))))
    .order_by(prices_table.c.product_id, prices_table.c.position)
)
_LISTINGS: dict[tuple[Any, ...], tuple[Select[Any], Select[Any]]] = {}
MAX_SHAPES = 256


def _listing(query: ProductQuery) -> tuple[Select[Any], Select[Any]]:
    """The count and the page statements for the filters ``query`` uses and its order (values are bind parameters:
    ``_params``), built the first time that shape is asked for."""
    shape = (
        query.kind is not None,
        query.source is not None,
        query.archived,
        query.updated_since is not None,
        query.folder_id is not None,
        query.include_subfolders,
        bool(query.text),
        query.price_type is not None,
        query.price_min is not None,
        query.price_max is not None,
        query.sort,
    )
    found = _LISTINGS.get(shape)
    if found is None:
        if len(_LISTINGS) >= MAX_SHAPES:  # bounded, whatever mix of filters callers send
            _LISTINGS.clear()
        conditions = _conditions(query)
        count = select(func.count().label("total")).select_from(products).where(*conditions)
        page = (
            select(*(c for c in products.c if c.name not in NOT_LISTED))
            .where(*conditions)
            .order_by(*_order_by(query))
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        found = _LISTINGS[shape] = (count, page)
    return found


def _params(query: ProductQuery) -> dict[str, Any]:
    """The values of the bind parameters of ``_listing(query)``."""
    text = query.text.strip() if query.text else None
    values = {
        "kind": query.kind.value if query.kind is not None else None,
        "source": query.source,
        "updated_since": query.updated_since,
        "folder_id": query.folder_id,
        "pattern": like_pattern(text) if text is not None else None,
        "barcode": [text] if text is not None else None,
        "price_type": query.price_type,
        "price_min": query.price_min,
        "price_max": query.price_max,
    }
    return {"limit": query.limit, "offset": query.offset} | {k: v for k, v in values.items() if v is not None}


def _main_price(query: ProductQuery) -> Any:
    """The price a range filter or a price sort looks at: the named price type, else the first (main) price."""
    which = (
        ProductPriceRow.price_type == bindparam("price_type")
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
        conditions.append(p.kind == bindparam("kind"))
    if query.source is not None:
        conditions.append(p.source == bindparam("source"))
    if query.archived is not None:
        conditions.append(p.archived.is_(query.archived))
    if query.updated_since is not None:
        conditions.append(p.updated_at >= bindparam("updated_since", type_=p.updated_at.type))
    if query.folder_id is not None:
        folder_id = bindparam("folder_id", type_=String)
        if query.include_subfolders:
            conditions.append(or_(p.folder_id == folder_id, p.folder_id.in_(subtree_ids(folder_id))))
        else:
            conditions.append(p.folder_id == folder_id)
    if query.text:
        conditions.append(_matches_text())
    if query.price_min is not None or query.price_max is not None:
        price = _main_price(query)
        if query.price_min is not None:
            conditions.append(price >= bindparam("price_min", type_=Numeric))
        if query.price_max is not None:
            conditions.append(price <= bindparam("price_max", type_=Numeric))
    return conditions


def _matches_text() -> ColumnElement[bool]:
    """Name, code or article matching ``:pattern`` (any case), or a barcode in ``:barcode``, on the product or a
    variant (``_params``: the text as a LIKE pattern, and as a one-barcode array)."""
    p, v = ProductRow, VariantRow
    pattern = bindparam("pattern", type_=Text)
    exact = bindparam("barcode", type_=ARRAY(Text))
    variant_hit = exists(
        select(v.id).where(
            v.product_id == p.id,
            v.deleted_at.is_(None),
            or_(v.barcodes.contains(exact), v.code.ilike(pattern, escape="\\"), v.article.ilike(pattern, escape="\\")),
        )
    )
    return or_(
        p.name.ilike(pattern, escape="\\"),
        p.code.ilike(pattern, escape="\\"),
        p.article.ilike(pattern, escape="\\"),
        p.barcodes.contains(exact),
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

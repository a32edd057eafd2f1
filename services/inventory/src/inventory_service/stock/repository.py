"""SQL for stock levels: the versioned table and the joined, filtered listing (names, stores, effective minimum)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from crm_common.db import Reads, fetch, like_pattern
from crm_common.versioned import VersionedTable
from inventory_service.assortment.models import AssortmentRow
from inventory_service.assortment.repository import folder_subtree
from inventory_service.stock.models import ALL_STORES, StockRow, ThresholdRow
from inventory_service.stock.schemas import StockQuery, StockSort
from inventory_service.stores.models import StoreRow

stock_table = cast(Table, StockRow.__table__)
# Stock levels are never deleted, only replaced by a newer one.
STOCK = VersionedTable(stock_table, deleted_at=None, origin=True)
# The stock row's columns a listing shows.
LISTED = tuple(
    stock_table.c[name]
    for name in (
        "id",
        "assortment_id",
        "assortment_kind",
        "product_id",
        "store_id",
        "stock",
        "reserve",
        "in_transit",
        "available",
        "unit_cost",
        "as_of",
    )
)

store = aliased(StoreRow, name="store")
per_store = aliased(ThresholdRow, name="per_store")
every_store = aliased(ThresholdRow, name="every_store")


class _Derived:
    """A stock row's effective minimum and whether it is below it, over either kind of join to its thresholds."""

    def __init__(self, per_store: Any, every_store: Any, joins: Sequence[tuple[Any, Any]]) -> None:
        self.joins = joins  # (what, on what) joined to the stock row, in order
        # The minimum a stock row is held to: a threshold set through the API for this store, else one for every
        # store, else the minimum the source sent with the stock level, else the catalog's (the item's, else its
        # product's: ``catalog_minimum``).
        self.minimum = func.coalesce(
            per_store.minimum, every_store.minimum, StockRow.minimum_stock, StockRow.catalog_minimum
        )
        self.below = and_(self.minimum.is_not(None), StockRow.stock < self.minimum, ~StockRow.catalog_deleted)


# Joined, the planner free to hash whole tables: right for a listing that filters or sorts every stock row on these.
JOINED = _Derived(
    per_store,
    every_store,
    joins=(
        (store, store.id == StockRow.store_id),
        (per_store, and_(per_store.assortment_id == StockRow.assortment_id, per_store.store_id == StockRow.store_id)),
        (every_store, and_(every_store.assortment_id == StockRow.assortment_id, every_store.store_id == ALL_STORES)),
    ),
)
below = JOINED.below


def _one(*columns: Any, where: ColumnElement[bool], alias: str) -> Any:
    """A row looked up by its key for each stock row (LATERAL, LIMIT 1: PostgreSQL cannot fold it into a join, so it
    stays one index probe per stock row)."""
    return select(*columns).where(where).limit(1).lateral(alias)


_per_store = _one(
    ThresholdRow.minimum,
    where=and_(ThresholdRow.assortment_id == StockRow.assortment_id, ThresholdRow.store_id == StockRow.store_id),
    alias="per_store",
)
_every_store = _one(
    ThresholdRow.minimum,
    where=and_(ThresholdRow.assortment_id == StockRow.assortment_id, ThresholdRow.store_id == ALL_STORES),
    alias="every_store",
)
# Looked up row by row: what reading a few stock rows by key needs (a consumer's batch, a listing's page).
LOOKED_UP = _Derived(
    _per_store.c,
    _every_store.c,
    joins=((store, store.id == StockRow.store_id), (_per_store, true()), (_every_store, true())),
)


def _listing_columns(derived: _Derived) -> tuple[Any, ...]:
    """The listing's row, plain columns: no ORM object per row."""
    return (
        *LISTED,
        StockRow.name,
        StockRow.code,
        StockRow.article,
        StockRow.folder_id,
        store.name.label("store_name"),
        derived.minimum.label("minimum"),
        func.coalesce(derived.below, false()).label("below_minimum"),
        StockRow.catalog_deleted,
    )


def _select(derived: _Derived, *columns: Any) -> Any:
    """Stock rows with their store and effective minimum, over ``derived``'s joins; ``columns``: what to select
    (default: the listing's row)."""
    statement = select(*(columns or _listing_columns(derived))).select_from(StockRow)
    for target, on in derived.joins:
        statement = statement.outerjoin(target, on)
    return statement


def _levels(*columns: Any) -> Any:
    """``_select`` joined: for statements that filter or sort every stock row."""
    return _select(JOINED, *columns)


def _looked_up(*columns: Any) -> Any:
    """``_select`` looked up per stock row (``LOOKED_UP``): for a few stock rows chosen by key."""
    return _select(LOOKED_UP, *columns)


_LEVELS = _looked_up(
    StockRow.id,
    StockRow.account_id,
    StockRow.assortment_id,
    StockRow.product_id,
    StockRow.store_id,
    StockRow.stock,
    StockRow.name,
    store.name.label("store_name"),
    LOOKED_UP.minimum.label("minimum"),
    func.coalesce(LOOKED_UP.below, false()).label("below_minimum"),
)

_ITEM_COLUMNS = (
    AssortmentRow.name,
    AssortmentRow.code,
    AssortmentRow.article,
    AssortmentRow.folder_id,
    AssortmentRow.minimum_stock,
    AssortmentRow.deleted_at,
)
CATALOG_COLUMNS = ("name", "code", "article", "folder_id", "catalog_minimum", "catalog_deleted")


def _catalog_of(item_id: Any, product_id: Any) -> tuple[Any, Any, list[Any]]:
    """The item ``item_id`` and the product ``product_id`` looked up by key, and the values of ``CATALOG_COLUMNS``
    from them: the item's, else its product's; deleted when either is (a row not found is not deleted)."""
    item = _one(*_ITEM_COLUMNS, where=AssortmentRow.id == item_id, alias="item")
    parent = _one(*_ITEM_COLUMNS, where=AssortmentRow.id == product_id, alias="parent")
    values = [
        func.coalesce(item.c.name, parent.c.name),
        func.coalesce(item.c.code, parent.c.code),
        func.coalesce(item.c.article, parent.c.article),
        func.coalesce(item.c.folder_id, parent.c.folder_id),
        func.coalesce(item.c.minimum_stock, parent.c.minimum_stock),
        or_(item.c.deleted_at.is_not(None), parent.c.deleted_at.is_not(None)),
    ]
    return item, parent, [value.label(column) for column, value in zip(CATALOG_COLUMNS, values, strict=True)]


def _copy_catalog(which: ColumnElement[bool]) -> Any:
    """An UPDATE of the catalog's columns of the stock rows ``which`` selects, written only where a value differs."""
    item, parent, values = _catalog_of(StockRow.assortment_id, StockRow.product_id)
    copied = (
        select(StockRow.id, *values)
        .select_from(StockRow)
        .outerjoin(item, true())
        .outerjoin(parent, true())
        .where(which)
        .subquery("copied")
    )
    stored, current = (tuple_(*(table.c[c] for c in CATALOG_COLUMNS)) for table in (stock_table, copied))
    return (
        update(StockRow)
        # ``which`` again on the rows updated, so they are found by it too (by key), not by reading the whole table
        .where(which, StockRow.id == copied.c.id, stored.is_distinct_from(current))
        .values({column: copied.c[column] for column in CATALOG_COLUMNS})
    )


COPY_CATALOG = _copy_catalog(StockRow.id == any_(bindparam("ids", type_=ARRAY(String))))
COPY_CATALOG_EVERYWHERE = _copy_catalog(true())
_wanted = (
    func.unnest(bindparam("items", type_=ARRAY(String)), bindparam("products", type_=ARRAY(String)))
    .table_valued("item_id", "product_id")
    .render_derived("wanted")
)
_wanted_item, _wanted_parent, _wanted_values = _catalog_of(_wanted.c.item_id, _wanted.c.product_id)
# The catalog's columns for stock rows about to be written, by (item, product).
CATALOG_OF = (
    select(_wanted.c.item_id, _wanted.c.product_id, *_wanted_values)
    .select_from(_wanted)
    .outerjoin(_wanted_item, true())
    .outerjoin(_wanted_parent, true())
)


def _rows_of(column: Any, key: str) -> Select[Any]:
    """The ids of the stock rows whose ``column`` is one of the ``key`` array's values, looked up per value: the
    lateral lookup's ``OFFSET 0`` keeps it a probe of ``column``'s index for each value, whatever the statistics say
    (see ``ROWS_OF``)."""
    wanted = func.unnest(bindparam(key, type_=ARRAY(String))).table_valued("value").render_derived(f"wanted_{key}")
    found = select(StockRow.id).where(column == wanted.c.value).offset(0).lateral(f"found_{key}")
    return select(found.c.id).select_from(wanted).join(found, true())


# The stock rows of some products (their variants' rows too: each row names its product) and of some items. As one
# IN list per column, a stale estimate (statistics lag the stock table while a first load grows it) had PostgreSQL
# read the whole table for a few hundred products: 78,715 rows estimated, 1,966 read, 15-100 ms a batch (compiled
# by its JIT as well before the services' connections turned that off: 220-300 ms; docs/operations.md).
ROWS_OF = union(_rows_of(StockRow.product_id, "products"), _rows_of(StockRow.assortment_id, "items"))


class StockRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def ids_of(self, *, products: Sequence[str] = (), items: Sequence[str] = ()) -> list[str]:
        """The ids of the stock rows of ``products`` (with their variants' rows) and of ``items``."""
        if not products and not items:
            return []
        return [
            row["id"] for row in await fetch(self.session, ROWS_OF, {"products": list(products), "items": list(items)})
        ]

    async def fill_catalog(self, rows: Sequence[dict[str, Any]]) -> None:
        """Put the catalog's columns into stock rows about to be written (each with its ``assortment_id`` and
        ``product_id``), as they are now: a new level is written once, whole. A run that also writes its item or
        product copies them again after (``copy_catalog``)."""
        pairs = sorted({(row["assortment_id"], row["product_id"]) for row in rows})
        if not pairs:
            return
        params = {"items": [item for item, _ in pairs], "products": [product for _, product in pairs]}
        found = {
            (r["item_id"], r["product_id"]): {c: r[c] for c in CATALOG_COLUMNS}
            for r in await fetch(self.session, CATALOG_OF, params)
        }
        for row in rows:
            row.update(found[row["assortment_id"], row["product_id"]])

    async def copy_catalog(self, ids: Sequence[str]) -> None:
        """Bring the catalog's columns of the stock rows ``ids`` up to date with their items and products."""
        if ids:
            await self.session.execute(COPY_CATALOG, {"ids": list(ids)})

    async def copy_catalog_everywhere(self) -> int:
        """``copy_catalog`` for every stock row; how many rows it changed."""
        return cast(CursorResult[Any], await self.session.execute(COPY_CATALOG_EVERYWHERE)).rowcount

    async def levels(self, *conditions: ColumnElement[bool]) -> Sequence[Row[Any]]:
        """What settling low-stock state needs of each stock row: its keys, level, name, store name, effective minimum
        and whether it is below it (plain columns: no ORM objects on the consumer's hot path)."""
        return (await self.session.execute(_LEVELS.where(*conditions))).all()

    async def search(self, query: StockQuery) -> tuple[Sequence[Any], int]:
        """One page of the stock levels matching ``query`` (rows read by column name), and how many match in all."""
        return await self._page(_listing(query), query)

    async def totals_by_store(self, query: StockQuery) -> tuple[Sequence[Any], int]:
        """One page of the per-store sums of the levels matching ``query`` (by store name), and how many stores."""
        return await self._page(_totals(query), query)

    async def _page(self, statements: tuple[Select[Any], Select[Any]], query: StockQuery) -> tuple[Sequence[Any], int]:
        count, page = statements
        params = _params(query)
        total = (await fetch(self.session, count, params))[0]["total"]
        return await fetch(self.session, page, params), int(total)


_LISTINGS: dict[tuple[Any, ...], tuple[Select[Any], Select[Any]]] = {}
MAX_SHAPES = 256


def _shape(query: StockQuery) -> tuple[Any, ...]:
    """What a statement for ``query`` depends on: the filters it uses (values are bind parameters, ``_params``)."""
    return (
        query.store_id is not None,
        query.product_id is not None,
        query.folder_id is not None,
        query.below_minimum,
        query.zero,
        query.negative,
        bool(query.text),
    )


def _cached(key: tuple[Any, ...]) -> tuple[Select[Any], Select[Any]] | None:
    if len(_LISTINGS) >= MAX_SHAPES:  # bounded, whatever mix of filters callers send
        _LISTINGS.clear()
    return _LISTINGS.get(key)


def _listing(query: StockQuery) -> tuple[Select[Any], Select[Any]]:
    """The count and the page statements for the filters ``query`` uses and its order, built the first time that
    shape is asked for and run by crm_common.db.fetch (docs/architecture.md, "API conventions")."""
    shape = ("levels", query.sort, *_shape(query))
    found = _cached(shape)
    if found is None:
        conditions = _conditions(query)
        count = _levels().where(*conditions).with_only_columns(func.count().label("total"))
        order = _order_by(query.sort)
        # The page's ids first, then the full rows of those ids only: computed for every matching row, the listed
        # columns (names, effective minimum, below-minimum) were half the statement's time for a 50-row page.
        ids = (
            _levels()
            .where(*conditions)
            .with_only_columns(StockRow.id)
            .order_by(*order)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        page = _looked_up().where(StockRow.id.in_(ids)).order_by(*order)
        found = _LISTINGS[shape] = (count, page)
    return found


def _totals(query: StockQuery) -> tuple[Select[Any], Select[Any]]:
    """The count and the page statements of the per-store sums of the rows ``_listing(query)`` lists."""
    shape = ("totals", *_shape(query))
    found = _cached(shape)
    if found is None:
        s = StockRow
        store_name = func.max(store.name)
        grouped = (
            _levels(
                s.store_id.label("store_id"),
                store_name.label("store_name"),
                func.count().label("levels"),
                func.sum(s.stock).label("stock"),
                func.sum(s.reserve).label("reserve"),
                func.sum(s.in_transit).label("in_transit"),
                func.sum(s.available).label("available"),
                func.coalesce(func.sum(s.stock * s.unit_cost), 0).label("value_at_cost"),
                func.count().filter(s.unit_cost.is_(None)).label("without_cost"),
                func.count().filter(below).label("below_minimum"),
            )
            .where(*_conditions(query))
            .group_by(s.store_id)
        )
        count = select(func.count().label("total")).select_from(grouped.subquery())
        page = (
            grouped.order_by(store_name.asc().nulls_last(), s.store_id.asc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        found = _LISTINGS[shape] = (count, page)
    return found


def _params(query: StockQuery) -> dict[str, Any]:
    """The values of the bind parameters of ``_listing(query)``."""
    values = {
        "store_id": query.store_id,
        "product_id": query.product_id,
        "folder_id": query.folder_id,
        "pattern": like_pattern(query.text.strip()) if query.text else None,
    }
    return {"limit": query.limit, "offset": query.offset} | {k: v for k, v in values.items() if v is not None}


def _conditions(query: StockQuery) -> list[ColumnElement[bool]]:
    s = StockRow
    # Not of a deleted item, product or store (a store the inventory has not heard of yet is listed).
    conditions: list[ColumnElement[bool]] = [
        ~s.catalog_deleted,
        s.store_id.not_in(select(StoreRow.id).where(StoreRow.deleted_at.is_not(None))),
    ]
    if query.store_id is not None:
        conditions.append(s.store_id == bindparam("store_id", type_=String))
    if query.product_id is not None:
        product_id = bindparam("product_id", type_=String)
        conditions.append(or_(s.product_id == product_id, s.assortment_id == product_id))
    if query.folder_id is not None:
        folder = bindparam("folder_id", type_=String)
        conditions.append(or_(s.folder_id == folder, s.folder_id.in_(folder_subtree(folder))))
    if query.below_minimum is not None:
        conditions.append(below if query.below_minimum else ~func.coalesce(below, false()))
    if query.zero is not None:
        conditions.append(s.stock == 0 if query.zero else s.stock != 0)
    if query.negative is not None:
        conditions.append(s.stock < 0 if query.negative else s.stock >= 0)
    if query.text:
        pattern = bindparam("pattern", type_=Text)
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in (s.name, s.code, s.article))))
    return conditions


def _order_by(sort: StockSort) -> list[Any]:
    s = StockRow
    name = s.name
    columns: dict[str, Any] = {
        StockSort.NAME.field: name,
        StockSort.STORE.field: store.name,
        StockSort.STOCK.field: s.stock,
        StockSort.AVAILABLE.field: s.available,
        StockSort.AS_OF.field: s.as_of,
    }
    column = columns[sort.field]
    ordered = column.desc().nulls_last() if sort.descending else column.asc().nulls_last()
    # Then by name and store, so equal keys read naturally; the id makes pages never overlap or skip a row.
    return [ordered, name.asc().nulls_last(), store.name.asc().nulls_last(), s.id.asc()]

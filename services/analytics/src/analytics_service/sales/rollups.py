"""The roll-ups as GROUP BYs: built whole by a rebuild, kept up to date by every batch.

The roll-up per day, product and store is recomputed from the facts per key a batch touches. The others (per day and
customer, per document grain, and the coarse ones the dashboard reads: a day's totals, a month per product or
customer) are kept by deltas: before a batch deletes a document's facts, their sums are taken out of every row they
fall into; after it inserts the new facts, their sums are added. Recomputing a key from its facts reads every fact of
the key for every batch that touches it: for a month, thousands of rows; for a busy day and customer too, as a retail
shop's one "retail customer" takes every retail sale of the day (its day re-read by every batch of that day's sales,
59 µs a roll-up row against 14 for a product's day). A delta reads only the batch's own facts. Numeric sums are
exact, and build, take-out and add-in run the same aggregate, so a live projection and a rebuilt one hold equal rows.
Either way a key whose facts are all gone (a document deleted, unposted or moved to another day) loses its row
instead of keeping zeros.

Table and column names here are constants and the schema comes from the session's own configuration, never from
input, hence the S608 waivers on the string-built SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.models import DocumentKind

RETURNS = ", ".join(f"'{kind.value}'" for kind in (DocumentKind.SALES_RETURN, DocumentKind.RETAIL_RETURN))
KEY_TYPES = {"business_day": "date", "month": "date"}  # every other key column is text
# The month of a business day, as a date: through `timestamp` (no zone), so the session's TimeZone plays no part.
MONTH = "CAST(date_trunc('month', CAST(f.business_day AS timestamp)) AS date)"


def _unnest(keys: tuple[str, ...], params: tuple[str, ...] | None = None) -> str:
    """The keys given as one array parameter per column (named as the column unless ``params`` says), as rows `k`."""
    arrays = ", ".join(f"CAST(:{p} AS {KEY_TYPES.get(k, 'text')}[])" for k, p in zip(keys, params or keys, strict=True))
    return f"unnest({arrays}) AS k({', '.join(keys)})"


def _matches(keys: tuple[str, ...], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in keys)


def _insert(schema: str, table: str, columns: tuple[str, ...]) -> str:
    return f'INSERT INTO "{schema}".{table} ({", ".join(columns)}) '


# A batch's statements find their rows key by key: a LATERAL subquery with OFFSET 0 (or LIMIT 1) is one the planner
# may not fold into a join, so each key is a probe of an index, whatever the statistics say. Joined to the keys, the
# tables were read whole for every batch while their statistics lagged behind their growth (a first sync, autovacuum
# not yet come by): per batch ~6 ms at ~140,000 facts, and each lane or smaller batch paid it again.
def _per_key(
    keys: tuple[str, ...], table: str, alias: str, fence: str = "OFFSET 0", params: tuple[str, ...] | None = None
) -> str:
    """``table``'s rows (their columns and their row address ``address``, aliased ``alias``) for each distinct key of
    the arrays ``:<key>`` (a key given twice must not bring its rows twice into a sum)."""
    distinct = f"(SELECT DISTINCT * FROM {_unnest(keys, params)}) AS k"  # noqa: S608
    rows = f"SELECT x.ctid AS address, x.* FROM {table} x WHERE {_matches(keys, 'x', 'k')} {fence}"  # noqa: S608
    return f"{distinct} CROSS JOIN LATERAL ({rows}) {alias}"


def _delete_found(
    table: str, keys: tuple[str, ...], *, fence: str, condition: str = "TRUE", params: tuple[str, ...] | None = None
) -> str:
    """Delete ``table``'s rows found key by key (`_per_key`, aliased ``r``) where ``condition`` (over ``r``) holds.
    By row address: only ever run under the sales rollups' lock (`hold_sales_rollup_lock`), so no other transaction
    moves a row between the lookup and the delete."""
    found = f"SELECT r.address FROM {_per_key(keys, table, 'r', fence, params)} WHERE {condition}"  # noqa: S608
    return f"DELETE FROM {table} WHERE ctid = ANY(ARRAY({found}))"  # noqa: S608


def _delete_per_key(schema: str, table: str, keys: tuple[str, ...], condition: str = "TRUE") -> str:
    """Delete the row of each key of the arrays ``:<key>`` (the table's primary key) where ``condition`` holds."""
    return _delete_found(f'"{schema}".{table}', keys, fence="LIMIT 1", condition=condition)


@dataclass(frozen=True)
class Rollup:
    """A roll-up recomputed per touched key: its rows deleted, then summed again from ``source``."""

    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    aggregates: str  # SQL over the source aliased `f`, one expression per column
    source: str = "sales_facts"
    where: str = "TRUE"  # which source rows count, over `f`

    def _sums(self, schema: str, source: str) -> str:
        """The roll-up's rows summed from ``source`` (SQL naming the source rows `f`)."""
        keys = ", ".join("f." + k for k in self.keys)
        insert = _insert(schema, self.table, self.keys + self.columns)
        return f"{insert}SELECT {keys}, {self.aggregates} FROM {source} WHERE {self.where} GROUP BY {keys}"  # noqa: S608

    def build_sql(self, schema: str) -> str:
        """Fill the (empty) roll-up from every source row."""
        return self._sums(schema, f'"{schema}".{self.source} f')

    def delete_sql(self, schema: str) -> str:
        return _delete_per_key(schema, self.table, self.keys)

    def recompute_sql(self, schema: str) -> str:
        return self._sums(schema, _per_key(self.keys, f'"{schema}".{self.source}', "f"))

    async def recompute(self, session: AsyncSession, schema: str, keys: Iterable[tuple[Any, ...]]) -> None:
        """Replace the rows of ``keys`` (distinct tuples in ``self.keys`` order) with fresh sums of their facts."""
        unique = list(set(keys))
        if not unique:
            return
        params = {name: [k[i] for k in unique] for i, name in enumerate(self.keys)}
        await session.execute(text(self.delete_sql(schema)), params)
        await session.execute(text(self.recompute_sql(schema)), params)


def _documents(kinds: str, negate: bool = False) -> str:
    return f"count(DISTINCT f.document_id) FILTER (WHERE f.kind {'NOT ' if negate else ''}IN ({kinds}))"


# Aggregate fragments over facts `f` that several roll-ups share.
SALE_AND_RETURN_DOCUMENTS = f"{_documents(RETURNS, negate=True)}, {_documents(RETURNS)}"
SOLD_AND_RETURNED = (
    f"coalesce(sum(f.quantity) FILTER (WHERE f.kind NOT IN ({RETURNS})), 0), "
    f"coalesce(-sum(f.quantity) FILTER (WHERE f.kind IN ({RETURNS})), 0)"
)
MONEY = "sum(f.revenue), sum(f.vat), sum(f.cost), sum(f.profit)"
CUSTOMER_COLUMNS = ("sales_docs", "return_docs", "quantity", "revenue", "cost", "profit")
CUSTOMER_AGGREGATES = f"{SALE_AND_RETURN_DOCUMENTS}, sum(f.quantity), sum(f.revenue), sum(f.cost), sum(f.profit)"
PRODUCT_COLUMNS = ("documents", "sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit")
PRODUCT_AGGREGATES = f"count(DISTINCT f.document_id), {SOLD_AND_RETURNED}, {MONEY}"

PRODUCTS = Rollup(
    "sales_daily_products",
    ("business_day", "assortment_id", "store_id"),
    ("product_id", *PRODUCT_COLUMNS),
    f"max(f.product_id), {PRODUCT_AGGREGATES}",
)


class RollupDrift(RuntimeError):
    """Facts being taken out fall into a row of a roll-up kept by deltas that is not there: the roll-up no longer
    matches the facts, and only a rebuild (`crm-analytics rebuild`) can make it whole again."""


def _batch_facts(schema: str) -> str:
    """The facts of the documents ``:documents``, document by document (see `_per_key`), aliased `f`."""
    return _per_key(("document_id",), f'"{schema}".sales_facts', "f", params=("documents",))


def delete_facts_sql(schema: str) -> str:
    """Delete the facts of the documents ``:documents`` (found document by document, `_delete_found`), returning
    each one's roll-up key columns."""
    deleted = _delete_found(f'"{schema}".sales_facts', ("document_id",), fence="OFFSET 0", params=("documents",))
    return f"{deleted} RETURNING {', '.join(FACT_KEY_COLUMNS)}"


@dataclass(frozen=True)
class DeltaRollup:
    """A roll-up kept by deltas: a batch takes its documents' old facts out and adds their new facts in."""

    table: str
    keys: tuple[tuple[str, str], ...]  # (column, SQL over facts aliased `f`)
    columns: tuple[str, ...]
    aggregates: str  # additive SQL over facts `f` (sums, distinct document counts), one expression per column
    empty: str  # SQL over the row aliased `r`: true exactly when no fact falls into it any more

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.keys)

    def _select(self, schema: str, batch: bool) -> str:
        """The roll-up's groups over every fact, or over the facts of the documents ``:documents``."""
        keys = ", ".join(f"{sql} AS {name}" for name, sql in self.keys)
        group = ", ".join(sql for _, sql in self.keys)
        source = _batch_facts(schema) if batch else f'"{schema}".sales_facts f'
        return f"SELECT {keys}, {self.aggregates} FROM {source} GROUP BY {group}"  # noqa: S608

    def sums_sql(self, schema: str) -> str:
        """The rows the roll-up must hold: its aggregate over every fact."""
        return self._select(schema, batch=False)

    def build_sql(self, schema: str) -> str:
        """Fill the (empty) roll-up from every fact."""
        return _insert(schema, self.table, self.key_names + self.columns) + self.sums_sql(schema)

    def add_sql(self, schema: str) -> str:
        """Add the sums of the facts of ``:documents`` into their rows (new rows for new keys)."""
        into = f'INSERT INTO "{schema}".{self.table} AS r ({", ".join(self.key_names + self.columns)}) '
        added = ", ".join(f"{c} = r.{c} + excluded.{c}" for c in self.columns)
        conflict = f"ON CONFLICT ({', '.join(self.key_names)}) DO UPDATE SET {added}"
        return f"{into}{self._select(schema, batch=True)} {conflict}"

    def take_out_sql(self, schema: str) -> str:
        """Subtract the sums of the facts of ``:documents`` from their rows; per group, whether its row is now
        empty (NULL: no row to subtract from)."""
        taken = ", ".join(f"{c} = r.{c} - d.{c}" for c in self.columns)
        keys = ", ".join(f"r.{k}" for k in self.key_names)
        update = f'UPDATE "{schema}".{self.table} r SET {taken} FROM d WHERE {_matches(self.key_names, "r", "d")}'  # noqa: S608
        groups = ", ".join("d." + k for k in self.key_names)
        updated = f"{update} RETURNING {keys}, ({self.empty}) AS empty"
        joined = f"FROM d LEFT JOIN u ON {_matches(self.key_names, 'u', 'd')}"
        batch = self._select(schema, batch=True)
        named = ", ".join(self.key_names + self.columns)
        return f"WITH d ({named}) AS ({batch}), u AS ({updated}) SELECT {groups}, u.empty {joined}"

    def prune_sql(self, schema: str) -> str:
        return _delete_per_key(schema, self.table, self.key_names, self.empty)

    async def take_out(self, session: AsyncSession, schema: str, documents: list[str]) -> list[tuple[Any, ...]]:
        """Take these documents' facts (still stored) out; return the keys of the rows left empty."""
        if not documents:
            return []
        rows = (await session.execute(text(self.take_out_sql(schema)), {"documents": documents})).all()
        if missing := [tuple(r[:-1]) for r in rows if r[-1] is None]:
            raise RollupDrift(f"{self.table} has no row for {missing[:3]} to take facts out of")
        return [tuple(r[:-1]) for r in rows if r[-1]]

    async def add_in(
        self, session: AsyncSession, schema: str, documents: list[str], emptied: list[tuple[Any, ...]]
    ) -> None:
        """Add these documents' (new) facts in, then delete the rows taking out left empty and adding did not fill."""
        if documents:
            await session.execute(text(self.add_sql(schema)), {"documents": documents})
        if emptied:
            params = {name: [k[i] for k in emptied] for i, name in enumerate(self.key_names)}
            await session.execute(text(self.prune_sql(schema)), params)


DAILY_TOTALS = DeltaRollup(
    "sales_daily_totals",
    (("business_day", "f.business_day"),),
    ("sales_docs", "return_docs", "sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit"),
    f"{SALE_AND_RETURN_DOCUMENTS}, {SOLD_AND_RETURNED}, {MONEY}",
    "r.sales_docs = 0 AND r.return_docs = 0",
)
MONTHLY_PRODUCTS = DeltaRollup(
    "sales_monthly_products",
    (("month", MONTH), ("assortment_id", "f.assortment_id"), ("product_id", "f.product_id")),
    PRODUCT_COLUMNS,
    PRODUCT_AGGREGATES,
    "r.documents = 0",
)
MONTHLY_CUSTOMERS = DeltaRollup(
    "sales_monthly_customers",
    (("month", MONTH), ("customer_id", "f.customer_id")),
    CUSTOMER_COLUMNS,
    CUSTOMER_AGGREGATES,
    "r.sales_docs = 0 AND r.return_docs = 0",
)
DAILY_CUSTOMERS = DeltaRollup(
    "sales_daily_customers",
    (("business_day", "f.business_day"), ("customer_id", "f.customer_id")),
    CUSTOMER_COLUMNS,
    CUSTOMER_AGGREGATES,
    "r.sales_docs = 0 AND r.return_docs = 0",
)
DAILY_DOCUMENTS = DeltaRollup(
    "sales_daily_documents",
    (
        ("business_day", "f.business_day"),
        ("store_id", "f.store_id"),
        ("customer_id", "f.customer_id"),
        ("organization_id", "f.organization_id"),
    ),
    ("documents", "quantity", "revenue", "vat", "cost", "profit"),
    f"count(DISTINCT f.document_id), sum(f.quantity), {MONEY}",
    "r.documents = 0",
)
DELTA_ROLLUPS = (DAILY_CUSTOMERS, DAILY_DOCUMENTS, DAILY_TOTALS, MONTHLY_PRODUCTS, MONTHLY_CUSTOMERS)
Emptied = list[list[tuple[Any, ...]]]  # per delta roll-up, the keys of the rows a take-out left empty


async def take_out(session: AsyncSession, schema: str, documents: list[str]) -> Emptied:
    """Before these documents' facts are deleted: take them out of every delta roll-up (emptied keys per roll-up)."""
    return [await delta.take_out(session, schema, documents) for delta in DELTA_ROLLUPS]


async def add_in(session: AsyncSession, schema: str, documents: list[str], emptied: Emptied) -> None:
    """After these documents' new facts are inserted: add them to every delta roll-up, then drop emptied rows."""
    for delta, keys in zip(DELTA_ROLLUPS, emptied, strict=True):
        await delta.add_in(session, schema, documents, keys)


# Read from `sales_daily_customers`: recomputed after the deltas are added in (`SalesRepository`'s order).
FIRST_SALES = Rollup(
    "sales_customer_firsts",
    ("customer_id",),
    ("first_sale_day",),
    "min(f.business_day)",
    source="sales_daily_customers",
    where="f.sales_docs > 0",
)
ROLLUPS = (PRODUCTS, FIRST_SALES)
FACT_KEY_COLUMNS = ("business_day", "assortment_id", "store_id", "customer_id", "organization_id")


async def recompute_for(session: AsyncSession, schema: str, fact_keys: Iterable[dict[str, Any]]) -> None:
    """Recompute every roll-up row that facts with these key columns (old or new) fall into."""
    rows = list(fact_keys)
    for rollup in ROLLUPS:
        pick = itemgetter(*rollup.keys)  # a tuple of the key columns (one column: its value alone)
        keys = map(pick, rows) if len(rollup.keys) > 1 else ((pick(r),) for r in rows)
        await rollup.recompute(session, schema, keys)


async def build_all(session: AsyncSession, schema: str) -> None:
    """Fill every (empty) roll-up from the facts: the delta-kept ones first, as the first sales read one of them."""
    for delta in DELTA_ROLLUPS:
        await session.execute(text(delta.build_sql(schema)))
    for rollup in ROLLUPS:
        await session.execute(text(rollup.build_sql(schema)))

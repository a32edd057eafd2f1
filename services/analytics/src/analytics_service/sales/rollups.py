"""The daily roll-ups as GROUP BYs over the facts: built whole by a rebuild, recomputed per touched key by a batch.

Both paths run the same aggregate, so a live projection and a rebuilt one hold identical rows, and a key whose facts
are all gone (a document deleted, unposted or moved to another day) loses its row instead of keeping zeros.

Table and column names here are constants and the schema comes from the session's own configuration, never from
input, hence the S608 waivers on the string-built SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.models import DocumentKind

RETURNS = ", ".join(f"'{kind.value}'" for kind in (DocumentKind.SALES_RETURN, DocumentKind.RETAIL_RETURN))
KEY_TYPES = {"business_day": "date"}  # every other key column is text


@dataclass(frozen=True)
class Rollup:
    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    aggregates: str  # SQL over facts aliased `f`, one expression per column

    def _select(self, schema: str) -> str:
        return f'SELECT {", ".join("f." + k for k in self.keys)}, {self.aggregates} FROM "{schema}".sales_facts f'  # noqa: S608

    def _insert(self, schema: str) -> str:
        return f'INSERT INTO "{schema}".{self.table} ({", ".join(self.keys + self.columns)}) '

    def build_sql(self, schema: str) -> str:
        """Fill the (empty) roll-up from every fact."""
        group = ", ".join(f"f.{k}" for k in self.keys)
        return f"{self._insert(schema)}{self._select(schema)} GROUP BY {group}"

    def _unnest(self) -> str:
        arrays = ", ".join(f"CAST(:{k} AS {KEY_TYPES.get(k, 'text')}[])" for k in self.keys)
        return f"unnest({arrays}) AS k({', '.join(self.keys)})"

    def delete_sql(self, schema: str) -> str:
        match = " AND ".join(f"r.{k} = k.{k}" for k in self.keys)
        return f'DELETE FROM "{schema}".{self.table} r USING {self._unnest()} WHERE {match}'  # noqa: S608

    def recompute_sql(self, schema: str) -> str:
        match = " AND ".join(f"f.{k} = k.{k}" for k in self.keys)
        group = ", ".join(f"f.{k}" for k in self.keys)
        return f"{self._insert(schema)}{self._select(schema)} JOIN {self._unnest()} ON {match} GROUP BY {group}"

    async def recompute(self, session: AsyncSession, schema: str, keys: Iterable[tuple[Any, ...]]) -> None:
        """Replace the rows of ``keys`` (distinct tuples in ``self.keys`` order) with fresh sums of their facts."""
        unique = list(set(keys))
        if not unique:
            return
        params = {name: [k[i] for k in unique] for i, name in enumerate(self.keys)}
        await session.execute(text(self.delete_sql(schema)), params)
        await session.execute(text(self.recompute_sql(schema)), params)


PRODUCTS = Rollup(
    "sales_daily_products",
    ("business_day", "assortment_id", "store_id"),
    ("product_id", "documents", "sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit"),
    "max(f.product_id), count(DISTINCT f.document_id), "
    f"coalesce(sum(f.quantity) FILTER (WHERE f.kind NOT IN ({RETURNS})), 0), "
    f"coalesce(-sum(f.quantity) FILTER (WHERE f.kind IN ({RETURNS})), 0), "
    "sum(f.revenue), sum(f.vat), sum(f.cost), sum(f.profit)",
)
CUSTOMERS = Rollup(
    "sales_daily_customers",
    ("business_day", "customer_id"),
    ("sales_docs", "return_docs", "quantity", "revenue", "cost", "profit"),
    f"count(DISTINCT f.document_id) FILTER (WHERE f.kind NOT IN ({RETURNS})), "
    f"count(DISTINCT f.document_id) FILTER (WHERE f.kind IN ({RETURNS})), "
    "sum(f.quantity), sum(f.revenue), sum(f.cost), sum(f.profit)",
)
DOCUMENTS = Rollup(
    "sales_daily_documents",
    ("business_day", "store_id", "customer_id", "organization_id"),
    ("documents", "quantity", "revenue", "vat", "cost", "profit"),
    "count(DISTINCT f.document_id), sum(f.quantity), sum(f.revenue), sum(f.vat), sum(f.cost), sum(f.profit)",
)
ROLLUPS = (PRODUCTS, CUSTOMERS, DOCUMENTS)
FACT_KEY_COLUMNS = ("business_day", "assortment_id", "store_id", "customer_id", "organization_id")


async def recompute_for(session: AsyncSession, schema: str, fact_keys: Iterable[dict[str, Any]]) -> None:
    """Recompute every roll-up row that facts with these key columns (old or new) fall into."""
    rows = list(fact_keys)
    for rollup in ROLLUPS:
        await rollup.recompute(session, schema, (tuple(r[k] for k in rollup.keys) for r in rows))


async def build_all(session: AsyncSession, schema: str) -> None:
    for rollup in ROLLUPS:
        await session.execute(text(rollup.build_sql(schema)))

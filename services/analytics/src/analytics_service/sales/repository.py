"""SQL of the sales projection: document versions, facts and the roll-ups, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.db import schema_of
from analytics_service.sales.models import DocumentRow, SalesFact
from analytics_service.sales.rollups import FACT_KEY_COLUMNS, Emptied, add_in, recompute_for, take_out
from crm_common.versioned import Reduced, write_reduced

FACT_COLUMNS = [c.name for c in SalesFact.__table__.columns]


def pg_type(column: Any) -> str:
    """The PostgreSQL type of a column's values, for ``CAST(:p AS <type>[])``."""
    for sa_type, name in (
        (Boolean, "boolean"),
        (Date, "date"),
        (DateTime, "timestamptz"),
        (Numeric, "numeric"),
        (BigInteger, "bigint"),
        (Integer, "integer"),
    ):
        if isinstance(column.type, sa_type):
            return name
    return "text"


# One statement whatever the batch size: each column travels as one array parameter. Constant names only.
_INSERT_FACTS = 'INSERT INTO "{schema}".sales_facts ({columns}) SELECT * FROM unnest({arrays})'.format(  # noqa: S608
    schema="{schema}",
    columns=", ".join(FACT_COLUMNS),
    arrays=", ".join(f"CAST(:{c.name} AS {pg_type(c)}[])" for c in SalesFact.__table__.columns),
)


class SalesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.schema = schema_of(session)

    async def write_headers(self, reduced: Reduced) -> dict[str, bool]:
        """Store the newest header of each document; ``{id: was_new}`` for the documents that changed."""
        return (await write_reduced(self.session, DocumentRow.__table__, reduced)).final

    async def take_fact_keys(self, document_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Delete these documents' facts; return their roll-up key columns, so those roll-up rows get recomputed."""
        if not document_ids:
            return []
        table = SalesFact.__table__
        key_columns = [table.c[k] for k in FACT_KEY_COLUMNS]
        stmt = delete(table).where(table.c.document_id.in_(list(document_ids))).returning(*key_columns)
        return [dict(r._mapping) for r in await self.session.execute(stmt)]

    async def insert_facts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            params = {name: [r[name] for r in rows] for name in FACT_COLUMNS}
            await self.session.execute(text(_INSERT_FACTS.format(schema=self.schema)), params)

    async def take_out_of_rollups(self, document_ids: Sequence[str]) -> Emptied:
        """Before their facts go: take these documents' facts out of the delta roll-ups."""
        return await take_out(self.session, self.schema, list(document_ids))

    async def add_into_rollups(self, document_ids: Sequence[str], emptied: Emptied) -> None:
        """After their new facts are in: add them to the delta roll-ups, and drop the rows left empty."""
        await add_in(self.session, self.schema, list(document_ids), emptied)

    async def recompute_rollups(self, fact_keys: Sequence[dict[str, Any]]) -> None:
        await recompute_for(self.session, self.schema, fact_keys)

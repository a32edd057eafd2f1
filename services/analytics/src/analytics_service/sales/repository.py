"""SQL of the sales projection: document versions, facts and the roll-ups, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.db import schema_of
from analytics_service.sales.models import DocumentRow, SalesFact
from analytics_service.sales.rollups import Emptied, add_in, delete_facts_sql, recompute_for, take_out
from crm_common.versioned import Reduced, insert_rows, write_reduced


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
        deleted = await self.session.execute(text(delete_facts_sql(self.schema)), {"documents": list(document_ids)})
        return [dict(r._mapping) for r in deleted]

    async def insert_facts(self, rows: Sequence[dict[str, Any]]) -> None:
        """One statement for a batch's facts, as one jsonb parameter (typed arrays cost the driver ~11 µs of CPU a
        fact to encode, JSON ~2 µs: docs/architecture.md, "Events")."""
        await insert_rows(self.session, SalesFact.__table__, rows)

    async def take_out_of_rollups(self, document_ids: Sequence[str]) -> Emptied:
        """Before their facts go: take these documents' facts out of the delta roll-ups."""
        return await take_out(self.session, self.schema, list(document_ids))

    async def add_into_rollups(self, document_ids: Sequence[str], emptied: Emptied) -> None:
        """After their new facts are in: add them to the delta roll-ups, and drop the rows left empty."""
        await add_in(self.session, self.schema, list(document_ids), emptied)

    async def recompute_rollups(self, fact_keys: Sequence[dict[str, Any]]) -> None:
        await recompute_for(self.session, self.schema, fact_keys)

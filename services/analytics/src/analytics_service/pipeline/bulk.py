"""Loading a whole replay into empty projection tables, fast.

Applying a replay batch by batch would delete and recompute facts and roll-ups again and again. Into empty tables a
rebuild can do better: every document version is appended with COPY to unlogged staging tables, tagged with its
position in the log; at the end one pass picks, per document, the version the one-at-a-time path would have kept
(the same rule as `crm_common.versioned.reduce_versions`), inserts its facts, builds each roll-up with one
GROUP BY, and only then builds the primary keys and indexes. Small dimensions go through the ordinary batch path.

Table and column names in the SQL here are constants, and the schema is the rebuild's own, hence the S608 waivers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import CreateIndex

from analytics_service.checkpoints.repository import advance
from analytics_service.db import PROJECTION_TABLE_NAMES, load_metadata
from analytics_service.pipeline.batch import DOCUMENTS, Prepared, ProjectionBatch
from analytics_service.sales.facts import build_facts
from analytics_service.sales.models import DocumentRow, SalesFact
from analytics_service.sales.projection import PROJECTION
from analytics_service.sales.rollups import build_all

# The sales tables: their keys and indexes are built after the load.
BULK_TABLES = tuple(name for name in PROJECTION_TABLE_NAMES if name == "documents" or name.startswith("sales_"))
DOC_COLUMNS = [c.name for c in DocumentRow.__table__.columns]
FACT_COLUMNS = [c.name for c in SalesFact.__table__.columns]
# What a delete leaves as it was (see `sales.projection.prepare_document_deleted`), and a new tombstone's defaults.
KEPT_BY_DELETE = [c for c in DOC_COLUMNS if c not in ("id", "kind", "applicable", "deleted", "source_version")]
TOMBSTONE_DEFAULTS: dict[str, Any] = {"number": "", "currency": "RUB", "total": 0, "positions": 0}


def _table(name: str) -> Table:
    return load_metadata().tables[f"analytics.{name}"]


async def create_bulk_tables(conn: AsyncConnection, schema: str) -> None:
    """On a connection translated to ``schema`` where the projection tables were just created: drop the keys and
    indexes of the sales tables (built after the load) and add the staging tables."""
    for name in BULK_TABLES:
        for index in _table(name).indexes:
            await conn.execute(text(f'DROP INDEX "{schema}"."{index.name}"'))
        await conn.execute(text(f'ALTER TABLE "{schema}".{name} DROP CONSTRAINT pk_{name}'))
    await conn.execute(
        text(
            f'CREATE UNLOGGED TABLE "{schema}".staged_documents '
            f'(LIKE "{schema}".documents, seq bigint NOT NULL, tombstone boolean NOT NULL)'
        )
    )
    await conn.execute(
        text(f'CREATE UNLOGGED TABLE "{schema}".staged_facts (LIKE "{schema}".sales_facts, seq bigint NOT NULL)')
    )


class BulkLoader:
    def __init__(self, batch: ProjectionBatch, schema: str) -> None:
        self.batch, self.schema = batch, schema
        self.seq = 0
        self.documents = 0
        self.positions = 0

    async def load(self, session: AsyncSession, prepared: list[Prepared]) -> None:
        """Append one replay batch (in log order)."""
        headers: list[tuple[Any, ...]] = []
        facts: list[tuple[Any, ...]] = []
        others: list[Prepared] = []
        for target, item in prepared:
            if target != DOCUMENTS:
                others.append((target, item))
                continue
            self.seq += 1
            row = {**TOMBSTONE_DEFAULTS, **item.row} if item.tombstone else item.row
            headers.append((*(row.get(c) for c in DOC_COLUMNS), self.seq, item.tombstone))
            if not item.tombstone:
                facts += [(*(f[c] for c in FACT_COLUMNS), self.seq) for f in build_facts(item.payload, self.batch.zone)]
        await self.batch.apply_prepared(session, others)
        await self._copy(session, "staged_documents", [*DOC_COLUMNS, "seq", "tombstone"], headers)
        await self._copy(session, "staged_facts", [*FACT_COLUMNS, "seq"], facts)
        self.documents += len(headers)
        self.positions += len(facts)

    async def _copy(
        self, session: AsyncSession, table: str, columns: list[str], records: list[tuple[Any, ...]]
    ) -> None:
        if not records:
            return
        conn = await session.connection()
        await conn.execute(text("SELECT 1"))  # the driver opens its transaction lazily: COPY must run inside it
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table, records=records, columns=columns, schema_name=self.schema)

    async def finish(self, session: AsyncSession, moment: datetime | None = None) -> None:
        """Keep each document's winning version and its facts, build the roll-ups, then keys and indexes."""
        s = self.schema
        await session.execute(text(_WINNERS.format(s=s)))
        await session.execute(text(_DOCUMENTS.format(s=s, **_document_columns())))
        await session.execute(text(_FACTS.format(s=s, columns=", ".join(FACT_COLUMNS))))
        await build_all(session, s)
        conn = await session.connection()
        for name in BULK_TABLES:
            table = _table(name)
            keys = ", ".join(c.name for c in table.primary_key.columns)
            await session.execute(text(f'ALTER TABLE "{s}".{name} ADD CONSTRAINT pk_{name} PRIMARY KEY ({keys})'))
            for index in table.indexes:
                await conn.execute(CreateIndex(index))
            await session.execute(text(f'ANALYZE "{s}".{name}'))
        changed = await session.scalar(text(f'SELECT count(*) FROM "{s}".documents'))  # noqa: S608
        if changed:
            await advance(session, PROJECTION, moment, steps=int(changed))
        for staging in ("staged_documents", "staged_facts", "bulk_winners"):
            await session.execute(text(f'DROP TABLE "{s}".{staging}'))


def _document_columns() -> dict[str, str]:
    kept = [f"CASE WHEN w.tombstone AND l.id IS NOT NULL THEN l.{c} ELSE w.{c} END" for c in KEPT_BY_DELETE]
    return {"columns": ", ".join(KEPT_BY_DELETE), "values": ", ".join(kept)}


# Per document, the versions that beat every version before them in the log; the last one decides the row, and a
# delete keeps the other columns of the last full version before it.
_WINNERS = """
CREATE UNLOGGED TABLE "{s}".bulk_winners AS
SELECT id, seq, tombstone FROM (
    SELECT id, seq, tombstone, source_version,
           max(source_version) OVER (PARTITION BY id ORDER BY seq
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
    FROM "{s}".staged_documents) v
WHERE best_before IS NULL OR source_version > best_before
"""
_LAST = """SELECT DISTINCT ON (b.id) d.* FROM "{{s}}".bulk_winners b JOIN "{{s}}".staged_documents d ON d.seq = b.seq
    {where} ORDER BY b.id, b.seq DESC"""
_DOCUMENTS = f"""
INSERT INTO "{{s}}".documents (id, kind, applicable, deleted, source_version, {{columns}})
SELECT w.id, w.kind, w.applicable, w.deleted, w.source_version, {{values}}
FROM ({_LAST.format(where="")}) w
LEFT JOIN ({_LAST.format(where="WHERE NOT b.tombstone")}) l ON l.id = w.id
"""  # noqa: S608
_FACTS = """
INSERT INTO "{s}".sales_facts ({columns})
SELECT {columns} FROM "{s}".staged_facts f
WHERE f.seq IN (SELECT DISTINCT ON (id) seq FROM "{s}".bulk_winners ORDER BY id, seq DESC)
"""

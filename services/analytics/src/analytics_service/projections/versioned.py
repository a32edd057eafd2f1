"""Upsert-if-newer: the order-safety rule every projection row follows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert_if_newer(session: AsyncSession, table: Table, row: dict[str, Any]) -> bool:
    """Write ``row`` unless the stored row has the same or a newer ``source_version``; True if written."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table).values(**row)
    upsert = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={k: stmt.excluded[k] for k in row if k not in keys},
        where=table.c.source_version < stmt.excluded.source_version,
    ).returning(*table.primary_key.columns)
    return (await session.execute(upsert)).first() is not None

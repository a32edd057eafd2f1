"""Upsert-if-newer: the order-safety rule every projection row follows, for one row or a whole batch."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.db import schema_of
from analytics_service.projections.checkpoints import advance


async def upsert_if_newer(session: AsyncSession, table: Table, row: dict[str, Any]) -> bool:
    """Write ``row`` unless the stored row has the same or a newer ``source_version``; True if written."""
    return bool(await upsert_newest(session, table, [row]))


async def upsert_newest(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> dict[Any, bool]:
    """Upsert-if-newer for many rows of distinct keys (all with the same columns) in one statement.

    Returns ``{key: inserted}`` for the rows written: True when the key was new, False when an older row was replaced
    (``xmax = 0`` marks a row this statement inserted rather than updated). Each column travels as one array, so
    the statement is the same (and prepared once) whatever the batch size. Columns missing from the rows are
    inserted with their defaults but never overwrite a stored row (a tombstone keeps the name it had).
    """
    if not rows:
        return {}
    keys = [c.name for c in table.primary_key.columns]
    given = list(rows[0])
    defaults = {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    columns = given + list(defaults)
    params = {f"p{i}": [r[c] for r in rows] for i, c in enumerate(given)}
    params.update({f"p{i + len(given)}": [v] * len(rows) for i, v in enumerate(defaults.values())})
    written: dict[Any, bool] = {}
    result = await session.execute(text(_upsert_sql(schema_of(session), table, columns, given, keys)), params)
    for r in result:
        key = r[0] if len(keys) == 1 else tuple(r[: len(keys)])
        written[key] = bool(r.inserted)
    return written


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


def _upsert_sql(schema: str, table: Table, columns: list[str], updated: list[str], keys: list[str]) -> str:
    arrays = ", ".join(f"CAST(:p{i} AS {pg_type(table.c[c])}[])" for i, c in enumerate(columns))
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated if c not in keys)
    return (
        f'INSERT INTO "{schema}".{table.name} AS t ({", ".join(columns)}) SELECT * FROM unnest({arrays}) '  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} WHERE t.source_version < EXCLUDED.source_version "
        f"RETURNING {', '.join('t.' + k for k in keys)}, (t.xmax = 0) AS inserted"
    )


@dataclass(frozen=True)
class Versioned:
    """One event's row for a projection table; ``tombstone`` rows carry only the columns a delete changes."""

    key: Hashable
    version: int
    row: dict[str, Any]
    tombstone: bool = False
    occurred_at: datetime | None = None
    payload: Any = field(default=None, compare=False)  # what else the use case needs (e.g. the parsed document)


@dataclass
class Reduced:
    """What a batch must write so the result equals applying its events one at a time, in order."""

    full: list[Versioned]  # per key, the last full row that would have been written
    tombstones: list[Versioned]  # per key, a delete that comes after it (and so wins)
    final: dict[Hashable, Versioned]  # per key, the event that decides the row's state


def reduce_versions(items: Iterable[Versioned]) -> Reduced:
    """Collapse a batch in Kafka order to at most one full row and one tombstone per key.

    Applied one by one, an event writes only if its version beats every version before it. So per key only the
    winners matter: the last winner decides the state, and if it is a delete, the columns a delete leaves alone come
    from the last full winner before it. Writing that full row first and then the delete, each still guarded by the
    stored version, gives the same row as the one-by-one path.
    """
    best: dict[Hashable, int] = {}
    last_full: dict[Hashable, Versioned] = {}
    final: dict[Hashable, Versioned] = {}
    for item in items:
        if item.key in best and item.version <= best[item.key]:
            continue
        best[item.key] = item.version
        final[item.key] = item
        if not item.tombstone:
            last_full[item.key] = item
    tombstones = [v for v in final.values() if v.tombstone]
    return Reduced(full=list(last_full.values()), tombstones=tombstones, final=final)


async def write_reduced(session: AsyncSession, table: Table, reduced: Reduced) -> dict[Any, bool]:
    """Write a reduced batch; returns the keys whose final event was written (value: the key was new)."""
    full = await upsert_newest(session, table, [v.row for v in reduced.full])
    deleted = await _upsert_grouped(session, table, [v.row for v in reduced.tombstones])
    written: dict[Any, bool] = {}
    for key, item in reduced.final.items():
        if item.tombstone and key in deleted:
            written[key] = full.get(key, deleted[key])
        elif not item.tombstone and key in full:
            written[key] = full[key]
    return written


async def _upsert_grouped(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> dict[Any, bool]:
    """``upsert_newest`` for rows whose column sets differ (one statement per set)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    written: dict[Any, bool] = {}
    for group in groups.values():
        written.update(await upsert_newest(session, table, group))
    return written


def latest_moment(items: Iterable[Versioned]) -> datetime | None:
    return max((i.occurred_at for i in items if i.occurred_at is not None), default=None)


async def apply_versioned(session: AsyncSession, table: Table, projection: str, items: Sequence[Versioned]) -> int:
    """Apply a batch of one table's versioned rows and move its projection's checkpoint; returns rows changed."""
    reduced = reduce_versions(items)
    written = await write_reduced(session, table, reduced)
    if written:
        moment = latest_moment(reduced.final[k] for k in written)
        await advance(session, projection, moment, steps=len(written))
    return len(written)

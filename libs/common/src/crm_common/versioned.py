"""Order-safe, idempotent writes of entity state, a batch at a time: the one home of "upsert if newer" and tombstones.

Every entity row keeps the version (``source_version``) of the event that produced it. A write applies only when its
version is strictly newer, in the same statement (``INSERT .. ON CONFLICT DO UPDATE .. WHERE``), so an older or
repeated event changes nothing even when two consumers race. A delete leaves a tombstone carrying its version, so an
older upsert that arrives after the delete (in the same batch or a later one) cannot bring the entity back.

A service describes each versioned table once (`VersionedTable`: keys, version column, tombstone column, what a
delete of a never-seen entity inserts, the live-rows filter) and each event type as the row it becomes
(`upsert_route`, `tombstone_route`, or a `Prepare` of its own); `VersionedBatch` validates a batch of events one by one
(a poison event raises alone) and writes each table with one statement per column set. ``ON CONFLICT`` cannot touch
one row twice in a statement, so a batch is first reduced in Python to the newest version per key
(`reduce_versions`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import translated_schema
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted
from crm_common.messaging.consumer import PoisonEvent


@dataclass(frozen=True)
class Versioned:
    """One event's row for a versioned table.

    ``row`` is written, and overwrites a stored row with an older version; ``insert_only`` fills the columns a row
    seen for the first time needs (a tombstone's placeholders) but never overwrites stored values.
    """

    key: Hashable
    version: int
    row: dict[str, Any]
    tombstone: bool = False
    occurred_at: datetime | None = None
    payload: Any = field(default=None, compare=False)  # what else the use case needs (e.g. the parsed document)
    insert_only: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Reduced:
    """What a batch must write so the result equals applying its events one at a time, in order."""

    full: list[Versioned]  # per key, the last full row that would have been written
    tombstones: list[Versioned]  # per key, a delete that comes after it (and so wins)
    final: dict[Hashable, Versioned]  # per key, the event that decides the row's state


@dataclass
class Written:
    """What a reduced batch changed: ``{key: the key was new}``."""

    reduced: Reduced
    full: dict[Any, bool]  # keys whose last full row was written
    final: dict[Any, bool]  # keys whose deciding event was written

    def upserted(self) -> list[Versioned]:
        """The full rows that were written (a later tombstone in the batch may have deleted them since)."""
        return [item for item in self.reduced.full if item.key in self.full]


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


async def write_reduced(
    session: AsyncSession, table: Table, reduced: Reduced, *, version: str = "source_version"
) -> Written:
    """Write a reduced batch: its full rows, then its tombstones, each guarded by the stored version."""
    full = await upsert_newest(session, table, reduced.full, version=version)
    deleted = await upsert_newest(session, table, reduced.tombstones, version=version)
    final: dict[Any, bool] = {}
    for key, item in reduced.final.items():
        if item.tombstone and key in deleted:
            final[key] = full.get(key, deleted[key])
        elif not item.tombstone and key in full:
            final[key] = full[key]
    return Written(reduced, full, final)


async def write_versions(
    session: AsyncSession, table: Table, items: Iterable[Versioned], *, version: str = "source_version"
) -> Written:
    """Upsert-if-newer and tombstones for a batch of one table's rows in Kafka order (same keys allowed)."""
    return await write_reduced(session, table, reduce_versions(items), version=version)


async def upsert_newest(
    session: AsyncSession, table: Table, items: Sequence[Versioned], *, version: str = "source_version"
) -> dict[Any, bool]:
    """Upsert-if-newer for rows of distinct keys; one statement per column set (usually one).

    Returns ``{key: inserted}`` for the rows written: True when the key was new, False when an older row was replaced
    (``xmax = 0`` marks a row this statement inserted rather than updated). The rows travel as one jsonb parameter
    that ``jsonb_populate_recordset`` turns into the table's own row type, so every column type (numeric, arrays,
    jsonb, timestamps) converts the way PostgreSQL reads its text, and the statement is the same (prepared once)
    whatever the batch size.
    """
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Versioned]] = {}
    for item in items:
        groups.setdefault((tuple(item.row), tuple(item.insert_only)), []).append(item)
    written: dict[Any, bool] = {}
    keys = list(_keys(table))
    for (updated, insert_only), group in groups.items():
        defaults = _scalar_defaults(table, {*updated, *insert_only})
        columns = [*updated, *(c for c in insert_only if c not in updated), *defaults]
        rows = [{**defaults, **item.insert_only, **item.row} for item in group]
        sql = _upsert_sql(_qualified(session, table), columns, [c for c in updated if c not in keys], keys, version)
        result = await session.execute(text(sql), {"rows": _to_json(rows)})
        for r in result:
            written[r[0] if len(keys) == 1 else tuple(r[: len(keys)])] = bool(r.inserted)
    return written


@functools.cache
def _keys(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_existing: bool = False,
    update_existing: bool | Sequence[str] = False,
    update_sql: Mapping[str, str] | None = None,
    update_if: str | None = None,
) -> None:
    """Plain INSERT of many rows (same columns) with one statement, the rows travelling as one jsonb parameter (for
    the rows that follow a versioned write, e.g. a product's sale prices); ``skip_existing``: keys already stored
    are left as they are; ``update_existing``: their other given columns are overwritten (no version check), or
    only the columns named. With an update, ``update_sql`` sets more columns to SQL expressions (e.g. ``now()``) and
    ``update_if`` (SQL over the stored row ``t`` and ``EXCLUDED``) says which stored rows are updated at all."""
    if rows:
        qualified, names = _qualified(session, table), ", ".join(f'"{c}"' for c in rows[0])
        sql = (
            f"INSERT INTO {qualified} AS t ({names}) SELECT {names} "  # noqa: S608 - names come from the table's columns
            f"FROM jsonb_populate_recordset(NULL::{qualified}, CAST(CAST(:rows AS text) AS jsonb))"
        )
        if skip_existing:
            sql += " ON CONFLICT DO NOTHING"
        elif update_existing:
            keys = _keys(table)
            conflict = ", ".join(f'"{k}"' for k in keys)
            updated = [c for c in rows[0] if c not in keys] if update_existing is True else list(update_existing)
            sets = [f'"{c}" = EXCLUDED."{c}"' for c in updated]
            sets += [f'"{c}" = {expression}' for c, expression in (update_sql or {}).items()]
            sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(sets)}"
            if update_if:
                sql += f" WHERE {update_if}"
        await session.execute(text(sql), {"rows": _to_json(list(rows))})


def _scalar_defaults(table: Table, given: set[str]) -> dict[str, Any]:
    """Python-side scalar defaults of the columns not given (a raw INSERT would leave them NULL)."""
    return {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }


def _upsert_sql(qualified: str, columns: list[str], updated: list[str], keys: list[str], version: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updated)
    returning = ", ".join(f't."{k}"' for k in keys)
    conflict = ", ".join(f'"{k}"' for k in keys)
    return (
        f"INSERT INTO {qualified} AS t ({names}) "  # noqa: S608 - names come from the table, never from input
        f"SELECT {names} FROM jsonb_populate_recordset(NULL::{qualified}, CAST(CAST(:rows AS text) AS jsonb)) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} "
        f'WHERE t."{version}" < EXCLUDED."{version}" '
        f"RETURNING {returning}, (t.xmax = 0) AS inserted"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: PostgreSQL reads the digits as numeric
    raise TypeError(f"cannot write {type(value).__name__} to a versioned row")


def _to_json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=_json_default, option=orjson.OPT_NAIVE_UTC).decode()


def _qualified(session: AsyncSession, table: Table) -> str:
    schema = translated_schema(session, table.schema)
    return f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'


# --- Declarations: versioned tables and the event -> row mapping ---------------------------------------------------


@dataclass(frozen=True)
class VersionedTable:
    """A table of entity state kept by version.

    ``deleted_at``: the column a delete sets (None: the table has no tombstones). ``origin``: rows keep the event's
    ``source`` and ``account_id``. ``placeholder``: the required columns a delete of an entity never seen inserts.
    """

    table: Table
    version: str = "source_version"
    deleted_at: str | None = "deleted_at"
    origin: bool = False
    placeholder: Callable[[Deleted], dict[str, Any]] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return _keys(self.table)

    def key_of(self, row: Mapping[str, Any]) -> Hashable:
        keys = _keys(self.table)
        return row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)

    def live(self) -> ColumnElement[bool]:
        """The rows that are not tombstones."""
        if self.deleted_at is None:
            raise TypeError(f"{self.table.name} keeps no tombstones")
        return self.table.c[self.deleted_at].is_(None)

    def origin_of(self, event: EventEnvelope) -> dict[str, Any]:
        return {"source": event.source, "account_id": event.account_id} if self.origin else {}

    async def write(self, session: AsyncSession, items: Iterable[Versioned]) -> Written:
        return await write_versions(session, self.table, items, version=self.version)


Prepare = Callable[[EventEnvelope], Versioned]


PayloadT = TypeVar("PayloadT", bound=BaseModel)


def upsert_route(
    target: VersionedTable, model: type[PayloadT], to_row: Callable[[PayloadT], dict[str, Any]]
) -> Prepare:
    """``<entity>.upserted``: the payload (validated as ``model``, its ``id`` the envelope's) becomes ``to_row``'s
    columns plus the origin, the version, and a cleared tombstone."""

    def prepare(event: EventEnvelope) -> Versioned:
        payload = event.parsed(model)
        ensure_same_entity(event, payload.id)  # type: ignore[attr-defined]
        row = {**target.origin_of(event), **to_row(payload), target.version: event.source_version}
        if target.deleted_at is not None:
            row[target.deleted_at] = None
        return Versioned(target.key_of(row), event.source_version, row, False, event.occurred_at, payload)

    return prepare


def tombstone_route(target: VersionedTable) -> Prepare:
    """``<entity>.deleted``: a tombstone at the event's version; the row's other columns stay as they were."""
    if target.deleted_at is None:
        raise TypeError(f"{target.table.name} keeps no tombstones")
    deleted_at = target.deleted_at

    def prepare(event: EventEnvelope) -> Versioned:
        deleted = event.parsed(Deleted)
        ensure_same_entity(event, deleted.id)
        row = {"id": deleted.id, target.version: event.source_version, deleted_at: deleted.deleted_at}
        placeholder = {**target.origin_of(event), **(target.placeholder(deleted) if target.placeholder else {})}
        return Versioned(deleted.id, event.source_version, row, True, event.occurred_at, deleted, placeholder)

    return prepare


class VersionedBatch:
    """Event type → (table, prepare): a batch of events becomes one upsert-if-newer per table (and column set)."""

    def __init__(self, routes: Mapping[str, tuple[VersionedTable, Prepare]]) -> None:
        self.routes = dict(routes)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.routes)

    def prepare(self, events: Iterable[EventEnvelope]) -> dict[VersionedTable, list[Versioned]]:
        """Validate every event (raises for one that can never apply) and group the rows by table, in order."""
        by_table: dict[VersionedTable, list[Versioned]] = {}
        for event in events:
            target, prepare = self.routes[event.event_type]
            by_table.setdefault(target, []).append(prepare(event))
        return by_table

    async def write(self, session: AsyncSession, events: Iterable[EventEnvelope]) -> dict[VersionedTable, Written]:
        """Apply ``events`` (Kafka order) in the caller's transaction; what each table's write changed."""
        return {target: await target.write(session, items) for target, items in self.prepare(events).items()}


def ensure_same_entity(event: EventEnvelope, payload_id: str) -> None:
    """The envelope's key and the payload must name one entity; otherwise the event can never apply."""
    if event.entity_id != payload_id:
        raise PoisonEvent(f"entity_id {event.entity_id!r} does not match payload id {payload_id!r}")


def without_repeats(events: Sequence[EventEnvelope]) -> list[list[EventEnvelope]]:
    """Split a batch (in order) into runs in which no entity appears twice.

    For derived effects that depend on each version in turn (a low-stock alert raised by one level and cleared by the
    next): every run is written and settled before the next, so each entity's versions settle in order as before.
    """
    runs: list[list[EventEnvelope]] = [[]]
    seen: set[tuple[str, str]] = set()
    for event in events:
        key = (event.entity, event.entity_id)
        if key in seen:
            runs.append([])
            seen.clear()
        seen.add(key)
        runs[-1].append(event)
    return [run for run in runs if run]

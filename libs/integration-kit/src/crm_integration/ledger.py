"""The ledger of what a connector published as live, per source account: what reconciliation diffs against.

Every entity event that leaves through a sync job's sink is written here after Kafka acknowledged it, before the
job saves its cursor: a crash in between republishes the page and writes the ledger then. Only the kinds the
connector names (those with a ``<kind>.deleted`` event) are kept: stock, sync outcomes and alerts are not entities.
Rows are keyed by account (the events' key), so the ledger follows what consumers hold whichever integration
published it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import given_rows, transaction
from crm_common.events.envelope import EventEnvelope
from crm_integration.sinks import EventSink
from crm_integration.tables import PublishedEntityRow


@dataclass(frozen=True)
class Entry:
    account_id: str
    kind: str
    entity_id: str
    live: bool
    version: int


def entries(events: Iterable[EventEnvelope], kinds: Collection[str]) -> list[Entry]:
    """The ledger rows a batch of events implies (``kinds``: the event prefixes kept); the newest event wins when one
    id occurs twice."""
    newest: dict[tuple[str, str, str], Entry] = {}
    for event in events:
        kind, _, change = event.event_type.rpartition(".")
        if kind not in kinds or change not in ("upserted", "deleted"):
            continue
        entry = Entry(event.account_id, kind, event.entity_id, change == "upserted", event.source_version)
        key = (entry.account_id, kind, entry.entity_id)
        if key not in newest or newest[key].version < entry.version:
            newest[key] = entry
    return list(newest.values())


COLUMNS = tuple(f.name for f in fields(Entry))
_RECORD: dict[type[PublishedEntityRow], Any] = {}


def _record_statement(model: type[PublishedEntityRow]) -> Any:
    """Upsert-if-not-older of any number of entries, built once per ledger table (the rows are array parameters)."""
    statement = _RECORD.get(model)
    if statement is None:
        table: Any = model.__table__  # type: ignore[attr-defined]
        given = given_rows(*(table.c[name] for name in COLUMNS))
        insert_rows = insert(table).from_select(COLUMNS, select(*given.c))
        statement = _RECORD[model] = insert_rows.on_conflict_do_update(
            index_elements=[table.c.account_id, table.c.kind, table.c.entity_id],
            set_={"live": insert_rows.excluded.live, "version": insert_rows.excluded.version},
            where=table.c.version <= insert_rows.excluded.version,
        )
    return statement


class LedgerRepository:
    def __init__(self, session: AsyncSession, model: type[PublishedEntityRow]) -> None:
        self.session, self.model = session, model

    async def record(self, rows: Sequence[Entry]) -> None:
        """Keep each row unless the ledger already holds a newer version of that id (one statement; ``rows`` hold
        each id once, as ``entries`` gives them)."""
        if rows:
            params = {name: [getattr(row, name) for row in rows] for name in COLUMNS}
            await self.session.execute(_record_statement(self.model), params)

    async def forget(self, account_id: str) -> None:
        """Drop an account's ledger: reconciliation then deletes nothing until syncs have published again."""
        await self.session.execute(delete(self.model).where(self.model.account_id == account_id))

    async def live_ids(self, account_id: str, kind: str) -> set[str]:
        rows = await self.session.scalars(
            select(self.model.entity_id).where(
                self.model.account_id == account_id, self.model.kind == kind, self.model.live
            )
        )
        return set(rows)


class LedgerSink:
    """Publishes through ``inner``, then records the entity events of ``kinds`` it published in the ledger."""

    def __init__(
        self,
        inner: EventSink,
        sessions: async_sessionmaker[AsyncSession],
        model: type[PublishedEntityRow],
        kinds: Collection[str],
    ) -> None:
        self.inner, self.sessions, self.model, self.kinds = inner, sessions, model, frozenset(kinds)

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        await self.inner.publish(events)
        rows = entries(events, self.kinds)
        if rows:
            async with transaction(self.sessions) as session:
                await LedgerRepository(session, self.model).record(rows)

"""Database helpers for tests on the real PostgreSQL: applying events, emptying a schema, slow commits, stale
statistics and the plans made on them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Iterator
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.consumer import Handler


async def apply(sessions: async_sessionmaker[AsyncSession], handler: Handler, *events: EventEnvelope) -> None:
    """Apply events through a use case, one transaction each, as the consumer does (without the inbox)."""
    for envelope in events:
        async with transaction(sessions) as session:
            await handler(session, envelope)


async def truncate(
    sessions: async_sessionmaker[AsyncSession], schema: str, metadata: MetaData, keep: Collection[str] = ()
) -> None:
    """Empty every table of ``metadata`` in ``schema`` but those named in ``keep``, in one statement."""
    names = [t.name for t in metadata.sorted_tables if t.name not in keep]
    if not names:
        return
    async with sessions() as session, session.begin():
        await session.execute(text(f"TRUNCATE {', '.join(f'{schema}.{name}' for name in names)}"))


@contextlib.contextmanager
def slow_commits(seconds: float = 0.3) -> Iterator[None]:
    """Make every ORM commit wait ``seconds`` in PostgreSQL first (``pg_sleep``, so an app's event loop stays free
    meanwhile): a write whose commit runs after its answer was sent then shows up late to the read that follows it."""

    def slow(session: Session) -> None:
        session.execute(text("select pg_sleep(:s)"), {"s": seconds})

    event.listen(Session, "before_commit", slow)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", slow)


@contextlib.asynccontextmanager
async def autovacuum_off(sessions: async_sessionmaker[AsyncSession], table: str) -> AsyncIterator[None]:
    """Within the block, ``table``'s statistics stay those a test's own ANALYZE took, however the table grows: as
    they lag a table a first load is filling."""
    async with transaction(sessions) as session:
        await session.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
    try:
        yield
    finally:
        async with transaction(sessions) as session:
            await session.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


@contextlib.asynccontextmanager
async def stale_statistics(
    sessions: async_sessionmaker[AsyncSession],
    table: str,
    fill: str,
    params: dict[str, Any],
    *,
    analyzed: int,
    grown: int,
) -> AsyncIterator[AsyncSession]:
    """A transaction on ``table`` as a first load leaves it: analyzed while ``fill`` (an INSERT with ``{count}``) had
    put in ``analyzed``'s worth of rows, then emptied and filled with ``grown``'s, with no autovacuum to catch up."""
    async with autovacuum_off(sessions, table), transaction(sessions) as session:
        await session.execute(text(fill.format(count=analyzed)), params)
        await session.execute(text(f"ANALYZE {table}"))
        await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - a test's own table name
        await session.execute(text(fill.format(count=grown)), params)
        yield session


async def plan(session: AsyncSession, statement: Any, params: dict[str, Any]) -> str:
    """PostgreSQL's plan (EXPLAIN) for ``statement`` with ``params``, sent as the driver sends it."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values = compiled.construct_params(params)
    positional = tuple(values[name] for name in compiled.positiontup or ())
    result = await connection.exec_driver_sql(f"EXPLAIN {compiled.string}", positional)
    return "\n".join(row[0] for row in result)

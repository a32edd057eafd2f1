"""Read-only connections and sessions run each statement on its own (no BEGIN/ROLLBACK round trips) and refuse to
write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from sqlalchemy import Column, Integer, column, func, insert, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from crm_common.db import (
    ReadOnlyViolation,
    create_engine,
    fetch,
    read_only_sessions,
    reading,
    session_factory,
    session_of,
)
from crm_testing import test_database_url


class _Base(DeclarativeBase):
    pass


class _Thing(_Base):
    __tablename__ = "read_only_thing"
    id = Column(Integer, primary_key=True)


def _request(sessions: async_sessionmaker) -> SimpleNamespace:  # type: ignore[type-arg]
    """What ``reading`` reads off a request: the app's ``state.sessions``."""
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(sessions=sessions)))


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), "public", pool_size=1)
    yield engine
    await engine.dispose()


async def statements_share_a_transaction(sessions: async_sessionmaker) -> bool:  # type: ignore[type-arg]
    """now() is the transaction's start time: equal across two statements only inside one transaction."""
    async with sessions() as session:
        first = await session.scalar(select(func.now()))
        await session.scalar(select(func.pg_sleep(0.01)))
        return bool(first == await session.scalar(select(func.now())))


async def test_a_read_only_session_runs_each_statement_on_its_own(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    assert await statements_share_a_transaction(sessions)
    assert not await statements_share_a_transaction(read_only_sessions(sessions))
    # The pool's connection is back in transaction mode for the next ordinary session.
    assert await statements_share_a_transaction(sessions)


async def test_a_read_only_session_refuses_statements_that_are_not_selects(engine: AsyncEngine) -> None:
    reads = read_only_sessions(session_factory(engine))
    async with reads() as session:
        with pytest.raises(ReadOnlyViolation):
            await session.execute(insert(table("anything", column("a"))).values(a=1))
        with pytest.raises(ReadOnlyViolation):
            await session.execute(text("CREATE TEMP TABLE anything (a int)"))


async def test_read_only_sessions_are_made_once_per_session_factory(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    assert read_only_sessions(sessions) is read_only_sessions(sessions)
    assert read_only_sessions(sessions) is not read_only_sessions(session_factory(engine))


async def test_a_flush_of_a_read_only_session_is_refused(engine: AsyncEngine) -> None:
    async with read_only_sessions(session_factory(engine))() as session:
        session.add(_Thing(id=1))
        with pytest.raises(ReadOnlyViolation):
            await session.flush()


async def test_a_routes_reading_connection_runs_each_statement_on_its_own_and_only_selects(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with reading(_request(sessions)) as connection:
        first = await connection.scalar(select(func.now()))
        await connection.scalar(select(func.pg_sleep(0.01)))
        assert first != await connection.scalar(select(func.now()))
        assert [r["n"] for r in await fetch(connection, select(func.generate_series(1, 2).label("n")))] == [1, 2]
        with pytest.raises(ReadOnlyViolation):
            await connection.execute(insert(table("anything", column("a"))).values(a=1))
        with pytest.raises(ReadOnlyViolation):
            await connection.execute(text("CREATE TEMP TABLE anything (a int)"))
    # The engine itself, its pool and its ordinary sessions are untouched: a unit of work still writes.
    assert await statements_share_a_transaction(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("CREATE TEMP TABLE anything (a int)"))
        await session.execute(insert(table("anything", column("a"))).values(a=1))
        assert await session.scalar(text("SELECT count(*) FROM anything")) == 1


async def test_what_needs_a_session_refuses_a_reading_connection(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        assert session_of(session) is session
    async with reading(_request(sessions)) as connection:
        with pytest.raises(ReadOnlyViolation, match="needs a session"):
            session_of(connection)


async def test_a_reading_connection_invalidated_on_the_way_reconnects_for_its_next_fetch(engine: AsyncEngine) -> None:
    """``fetch`` takes the driver connection straight off a valid connection; one invalidated (its driver connection
    given back as dead) is reconnected by SQLAlchemy first, which needs the greenlet ``get_raw_connection`` runs in."""
    async with reading(_request(session_factory(engine))) as connection:
        before = await connection.scalar(select(func.pg_backend_pid()))
        await connection.invalidate()
        await connection.rollback()  # what SQLAlchemy asks before it reconnects
        assert connection.invalidated
        rows = await fetch(connection, select(func.pg_backend_pid().label("pid")))
        assert rows[0]["pid"] != before
        assert [r["n"] for r in await fetch(connection, select(func.generate_series(1, 2).label("n")))] == [1, 2]

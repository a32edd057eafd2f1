"""Read-only sessions run each statement on its own (no BEGIN/ROLLBACK round trips) and refuse to write."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import column, func, insert, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from crm_common.db import ReadOnlyViolation, create_engine, read_only_sessions, session_factory
from crm_testing import test_database_url


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

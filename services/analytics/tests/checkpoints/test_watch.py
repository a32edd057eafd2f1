"""The checkpoint token kept in memory (CheckpointWatch): kept until PostgreSQL announces a change, never kept when
it may be stale, forgotten when the watch cannot hear, and a cached report served without a database connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics_service.cache import ReportCache
from analytics_service.checkpoints import watch as watch_module
from analytics_service.checkpoints.repository import advance, token
from analytics_service.checkpoints.watch import CheckpointWatch
from analytics_service.db import SCHEMA
from analytics_service.pipeline.rebuild import create_projection_schema
from crm_common.db import Reads
from crm_common.resp import RespClient
from crm_testing import eventually

pytestmark = pytest.mark.usefixtures("clean")


@pytest.fixture
async def watch(migrated: str) -> AsyncIterator[CheckpointWatch]:
    found = CheckpointWatch(
        migrated, SCHEMA, check_seconds=0.2, retry_seconds=0.1, application_name=f"watch-{uuid.uuid4().hex[:8]}"
    )
    found.start()
    yield found
    await found.stop()


async def moved_on(sessions: async_sessionmaker[AsyncSession], projection: str = "sales") -> None:
    async with sessions() as session, session.begin():
        await advance(session, projection, None)


async def held(watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession]) -> str:
    """Read the token through the watch until it keeps it (it keeps none before it listens)."""

    async def kept() -> str | None:
        async with sessions() as session:
            await watch.read(session)
        return watch.known()

    return str(await eventually(kept))


async def test_the_token_is_kept_until_a_change_is_announced(
    watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await moved_on(sessions)
    first = await held(watch, sessions)
    async with sessions() as session:
        assert first == await token(session)
    announced = watch.announced
    await moved_on(sessions)
    await eventually(lambda: _true(watch.announced > announced and watch.known() is None))
    second = await held(watch, sessions)
    assert second != first
    async with sessions() as session:
        assert second == await token(session)


async def test_a_read_overlapped_by_a_change_is_answered_but_not_kept(
    watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    await held(watch, sessions)
    await moved_on(sessions)
    await eventually(lambda: _true(watch.known() is None))

    async def read_then_changed(reads: Reads) -> str:
        value = await token(reads)
        announced = watch.announced
        await moved_on(sessions)  # committed after the read, announced before the read returns
        await eventually(lambda: _true(watch.announced > announced))
        return value

    monkeypatch.setattr(watch_module, "token", read_then_changed)
    async with sessions() as session:
        stale = await watch.read(session)
    assert watch.known() is None
    monkeypatch.undo()
    assert await held(watch, sessions) != stale


async def test_a_lost_connection_forgets_the_token_until_the_watch_listens_again(
    migrated: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # No periodic check within the test: the loss itself must be noticed, and the connection made again at once.
    watch = CheckpointWatch(migrated, SCHEMA, check_seconds=3600, retry_seconds=0.1, application_name="watch-lost")
    watch.start()
    try:
        await _lose_the_connection(watch, sessions)
    finally:
        await watch.stop()


async def _lose_the_connection(watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession]) -> None:
    before = await held(watch, sessions)
    async with sessions() as session, session.begin():
        ended = await session.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": watch.application_name},
        )
    assert ended == 1
    await eventually(lambda: _true(watch.known() is None))
    await moved_on(sessions)  # while it reconnects: the token read afterwards is the new one
    assert await held(watch, sessions) != before


async def test_a_change_that_is_never_announced_is_noticed_by_the_periodic_check(
    watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await held(watch, sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("ALTER TABLE checkpoints DISABLE TRIGGER checkpoints_announced"))
    try:
        announced = watch.announced
        await moved_on(sessions)
        await eventually(lambda: _true(watch.known() is None))
        assert watch.announced == announced
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("ALTER TABLE checkpoints ENABLE TRIGGER checkpoints_announced"))


class Total(BaseModel):
    total: int


async def test_a_cache_hit_with_the_token_in_memory_opens_no_connection(
    watch: CheckpointWatch, sessions: async_sessionmaker[AsyncSession], resp: RespClient
) -> None:
    cache = ReportCache(resp, timedelta(minutes=1), prefix=f"analytics-test:watch:{uuid.uuid4().hex}", watch=watch)
    opened: list[int] = []
    computed: list[int] = []

    def reads() -> AbstractAsyncContextManager[Reads]:
        @asynccontextmanager
        async def opening() -> AsyncIterator[Reads]:
            opened.append(1)
            async with sessions() as session:
                yield session

        return opening()

    async def compute(_: Reads) -> Any:
        computed.append(1)
        return {"total": len(computed)}

    report: Callable[[], Any] = lambda: cache.get_or_compute_json(reads, "r", {"p": 1}, compute, Total)  # noqa: E731
    await held(watch, sessions)
    assert await report() == b'{"total":1}'  # a miss: computed on a connection
    assert await report() == b'{"total":1}'  # a hit, keyed by the token in memory
    assert (len(opened), len(computed)) == (1, 1)
    await moved_on(sessions)
    await eventually(lambda: _true(watch.known() is None))
    assert await report() == b'{"total":2}'  # the token read again, the report computed again
    assert (len(opened), len(computed)) == (2, 2)


async def _true(value: bool) -> bool:
    return value


async def test_a_checkpoints_table_a_rebuild_creates_announces_its_changes_too(engine: AsyncEngine) -> None:
    """A rebuild (or a bulk load) swaps in a checkpoints table of its own making for the migrated one."""
    async with engine.begin() as conn:
        await create_projection_schema(conn, "watch_rebuilt")
    try:
        async with engine.connect() as conn:
            triggers = await conn.scalars(
                text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'watch_rebuilt.checkpoints'::regclass")
            )
            assert list(triggers) == ["checkpoints_announced"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA watch_rebuilt CASCADE"))

"""The services' engine pings a pooled connection on checkout only when it sat idle: dead ones are replaced then."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_common.db import create_engine
from crm_common.runtime import Runtime
from crm_common.settings import ServiceSettings
from crm_testing import test_database_url


async def use_then_kill(engine: AsyncEngine) -> int:
    """Use the engine's one pooled connection, then terminate its backend from another connection."""
    async with engine.connect() as conn:
        pid = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    killer = create_engine(test_database_url(), "public", pool_size=1)
    try:
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()
    return pid


async def test_a_connection_that_died_while_idle_is_replaced_on_checkout() -> None:
    engine = create_engine(test_database_url(), "public", pool_size=1, ping_after_idle=0.0)
    try:
        killed = await use_then_kill(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != killed
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_handed_out_unpinged() -> None:
    engine = create_engine(test_database_url(), "public", pool_size=1, ping_after_idle=3600.0)
    try:
        await use_then_kill(engine)
        with pytest.raises(DBAPIError):  # not pinged: the kill shows on its first query, and the pool is renewed
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_service_keeps_a_fixed_pool_under_load_and_never_reopens_a_connection() -> None:
    """More callers than ``DB_POOL_SIZE`` wait for a connection instead of opening one that is closed again when
    returned (a new PostgreSQL backend every few requests under steady load)."""
    settings = ServiceSettings(database_url=test_database_url(), db_pool_size=3)
    rt = await Runtime.open(settings, schema="public", kafka=False, redis=False, client_id="test")
    assert rt.engine is not None
    opened: list[int] = []
    event.listen(rt.engine.sync_engine, "connect", lambda *_: opened.append(1))
    backends: set[int] = set()

    async def caller(rounds: int) -> None:
        for n in range(rounds):
            async with rt.engine.connect() as conn:  # type: ignore[union-attr]
                backends.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
                await asyncio.sleep(0.002 * (n % 3))  # uneven: at times every connection is back in the pool

    try:
        await asyncio.gather(*(caller(30) for _ in range(12)))
    finally:
        await rt.close()
    assert len(backends) <= 3
    assert len(opened) <= 3


@pytest.mark.parametrize(("db_jit", "expected"), [(False, "off"), (True, "on")])
async def test_a_services_connections_run_without_jit_unless_it_is_asked_for(db_jit: bool, expected: str) -> None:
    """PostgreSQL compiled statements whose estimated cost ran high on fast-growing tables (~220 ms to compile a
    21 ms statement); the services' connections switch it off, ``DB_JIT=true`` leaves the server's setting."""
    settings = ServiceSettings(database_url=test_database_url(), db_pool_size=1, db_jit=db_jit)
    rt = await Runtime.open(settings, schema="public", kafka=False, redis=False, client_id="test")
    assert rt.engine is not None
    try:
        async with rt.engine.connect() as conn:
            assert (await conn.execute(text("SHOW jit"))).scalar_one() == expected
    finally:
        await rt.close()

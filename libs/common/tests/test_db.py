"""The services' engine pings a pooled connection on checkout only when it sat idle: dead ones are replaced then."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_common.db import create_engine
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

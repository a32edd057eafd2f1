"""Run one statement outside a transaction (CREATE/DROP DATABASE) with asyncpg, from synchronous test code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url


def _on(url: str, work: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    """Run ``work`` on a fresh connection to ``url``'s database."""
    parsed = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            database=parsed.database,
        )
        try:
            await work(conn)
        finally:
            await conn.close()

    asyncio.run(run())


def execute(url: str, statement: str) -> None:
    async def work(conn: asyncpg.Connection) -> None:
        await conn.execute(statement)

    _on(url, work)


def drop_database(url: str, name: str, timeout: float = 60.0) -> None:
    """Drop ``name`` (a database this run created) from the server of ``url``, ending the sessions still in it.

    ``WITH (FORCE)`` refuses when one of them belongs to a role ours may not signal (seen after a `medium` bench: the
    whole run's figures were lost to that error at teardown). Then this role's own sessions are ended and the plain
    DROP is retried until the others have left (PostgreSQL cancels an autovacuum worker in the way by itself)."""

    async def work(conn: asyncpg.Connection) -> None:
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError as refused:
            sessions = await conn.fetch(
                "SELECT usename, backend_type, application_name FROM pg_stat_activity WHERE datname = $1", name
            )
            print(f"DROP DATABASE {name} WITH (FORCE): {refused}; sessions in it: {[dict(s) for s in sessions]}")
        deadline = time.monotonic() + timeout
        while True:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
                name,
            )
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except asyncpg.ObjectInUseError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    _on(url, work)

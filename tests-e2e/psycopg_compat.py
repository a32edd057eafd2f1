"""Run one statement outside a transaction (CREATE/DROP DATABASE) with asyncpg, from synchronous test code."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url


def execute(url: str, statement: str) -> None:
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
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())

"""One sync per integration at a time, across processes: a Postgres session-level advisory lock.

The lock lives as long as the connection holding it, so a process that dies mid-sync releases it and the next
start can tell an orphaned "running" job (nobody holds the lock) from a live one.
"""

from __future__ import annotations

import zlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def lock_key(namespace: str, integration_id: str) -> int:
    """The advisory lock's key; namespace keeps two connectors' integrations with one id apart."""
    return zlib.crc32(f"{namespace}|{integration_id}".encode())


class IntegrationLock:
    def __init__(self, engine: AsyncEngine, integration_id: str, namespace: str) -> None:
        self.engine, self.key = engine, lock_key(namespace, integration_id)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        conn = await self.engine.connect()
        try:
            acquired = bool(await conn.scalar(select(func.pg_try_advisory_lock(self.key))))
            await conn.commit()  # the lock is session-level: it outlives the transaction, not the connection
        except BaseException:
            await conn.close()
            raise
        if not acquired:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            await conn.scalar(select(func.pg_advisory_unlock(self.key)))
            await conn.commit()
        finally:
            await conn.close()

"""Session revocation entries in Redis: written by auth at logout, read by the gateway on every request.

An entry lives until the longest-lived access token of that session would have expired, then Redis drops it.
"""

from __future__ import annotations

from redis.asyncio import Redis

KEY = "auth:revoked-session:{sid}"


class RevocationStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def revoke(self, session_id: str, ttl_seconds: int) -> None:
        await self.redis.set(KEY.format(sid=session_id), "1", ex=max(1, ttl_seconds))

    async def is_revoked(self, session_id: str) -> bool:
        return bool(await self.redis.exists(KEY.format(sid=session_id)))

"""Session revocation entries in Redis: written by auth at logout, read by the gateway and by every service.

An entry lives until the longest-lived access token of that session would have expired, then Redis drops it.

``SessionCheck`` is the check each service runs itself (defence in depth: a logged-out token must not work against a
service reached past the gateway). It fails closed like the gateway: if Redis cannot answer, the call is refused with
503, never let through. Answers are cached per session: "revoked" until the token expires (a session never comes back),
"live" for ``cache_seconds`` only, which bounds how long a revoked token can still be used directly against a service.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, Unauthorized
from crm_common.logging import get_logger
from crm_common.redis_breaker import RedisBreaker, RedisUnavailable
from crm_common.security.jwt import Principal
from crm_common.settings import ServiceSettings

log = get_logger(__name__)

KEY = "auth:revoked-session:{sid}"


class RevocationStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def revoke(self, session_id: str, ttl_seconds: int) -> None:
        await self.redis.set(KEY.format(sid=session_id), "1", ex=max(1, ttl_seconds))

    async def is_revoked(self, session_id: str) -> bool:
        return bool(await self.redis.exists(KEY.format(sid=session_id)))


class SessionCheck:
    """Refuse a principal whose session was revoked: 401 if revoked, 503 if revocation cannot be checked."""

    def __init__(
        self, store: RevocationStore, *, cache_seconds: float, breaker: RedisBreaker, size: int = 10_000
    ) -> None:
        self.store, self.cache_seconds, self.breaker, self.size = store, cache_seconds, breaker, size
        self._answers: dict[str, tuple[float, bool]] = {}  # session id -> (valid until, revoked)

    async def ensure_live(self, principal: Principal) -> None:
        if await self.is_revoked(principal):
            raise Unauthorized("session has been revoked")

    async def is_revoked(self, principal: Principal) -> bool:
        sid, now = principal.session_id, time.monotonic()
        cached = self._answers.get(sid)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            revoked = await self.breaker.call(lambda: self.store.is_revoked(sid))
        except RedisUnavailable as exc:
            log.warning("revocation unchecked, redis down; refusing", session_id=sid)
            raise ServiceUnavailable("session revocation cannot be checked right now; retry shortly") from exc
        self._remember(sid, now, revoked, principal)
        return revoked

    def _remember(self, sid: str, now: float, revoked: bool, principal: Principal) -> None:
        if self.cache_seconds <= 0 and not revoked:
            return
        if len(self._answers) >= self.size:
            self._answers.clear()  # bounded; a cleared cache only costs Redis round trips
        lifetime = max(0.0, principal.expires_at.timestamp() - time.time()) if revoked else self.cache_seconds
        self._answers[sid] = (now + lifetime, revoked)


def session_check(redis: Redis, settings: ServiceSettings, *, cache_seconds: float | None = None) -> SessionCheck:
    """The check ``current_principal`` runs, configured from the service's settings."""
    cache = settings.revocation_cache_seconds if cache_seconds is None else cache_seconds
    breaker = RedisBreaker(cool_down=settings.revocation_retry_seconds)
    return SessionCheck(RevocationStore(redis), cache_seconds=cache, breaker=breaker)

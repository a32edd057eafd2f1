"""Hot reports cached in Redis under a key that includes the projections' checkpoint token.

When any projection moves on (or a rebuild swaps in new tables) the token changes, so every cached report is
invalidated at once without a delete; the stale keys simply expire. Redis being down only makes reports slower.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.projections.checkpoints import token
from crm_common.logging import get_logger

log = get_logger(__name__)
CACHE = Counter("analytics_report_cache_total", "Report cache lookups", ["report", "outcome"])


def _default(value: Any) -> Any:
    return str(value)


def cache_prefix(database_url: str) -> str:
    """Keys per database: the checkpoint token alone is the same for two databases holding the same events (two
    deployments, or two test runs, sharing one Redis), and one would then serve the other's reports."""
    return f"analytics:report:{make_url(database_url).database}"


class ReportCache:
    def __init__(self, redis: Redis | None, ttl: timedelta, prefix: str = "analytics:report") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl, prefix

    async def key(self, session: AsyncSession, report: str, params: dict[str, Any]) -> str:
        raw = orjson.dumps(params, default=_default, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(raw + b"#" + (await token(session)).encode()).hexdigest()[:32]
        return f"{self.prefix}:{report}:{digest}"

    async def get_or_compute(
        self, session: AsyncSession, report: str, params: dict[str, Any], compute: Callable[[], Awaitable[Any]]
    ) -> Any:
        """The cached JSON-ready value for these params at the current checkpoint, computing it on a miss."""
        if self.redis is None:
            return await compute()
        key = await self.key(session, report, params)
        try:
            cached = await self.redis.get(key)
        except RedisError as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
            cached = None
        if cached is not None:
            CACHE.labels(report, "hit").inc()
            return orjson.loads(cached)
        CACHE.labels(report, "miss").inc()
        value = await compute()
        try:
            await self.redis.set(key, orjson.dumps(value, default=_default), ex=int(self.ttl.total_seconds()))
        except RedisError as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
        return orjson.loads(orjson.dumps(value, default=_default))

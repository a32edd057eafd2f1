"""Hot reports cached in Redis under a key that includes the projections' checkpoint token.

When any projection moves on (or a rebuild swaps in new tables) the token changes, so every cached report is
invalidated at once without a delete; the stale keys simply expire. Redis being down only makes reports slower.

A report is cached as the JSON body the API serves, and a hit is served as those bytes: parsing them and validating
them against the response model again on every hit cost about ten times what the hit itself costs (issue #16,
bench/read_ceiling.py). The key includes a fingerprint of the response model's JSON schema, so a body cached by a
release with another shape of the report is never served by this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from functools import cache
from typing import Any, cast

import orjson
from prometheus_client import Counter
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from analytics_service.checkpoints.repository import token
from analytics_service.checkpoints.watch import CheckpointWatch
from crm_common.db import Reads
from crm_common.logging import get_logger
from crm_common.resp import RespClient

log = get_logger(__name__)
CACHE = Counter("analytics_report_cache_total", "Report cache lookups", ["report", "outcome"])


def _default(value: Any) -> Any:
    return str(value)


@cache
def schema_fingerprint(model: type[BaseModel]) -> str:
    """Changes whenever the shape of the report changes (a field added, renamed, retyped)."""
    schema = orjson.dumps(model.model_json_schema(mode="serialization"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(schema).hexdigest()[:12]


def cache_prefix(database_url: str) -> str:
    """Keys per database: the checkpoint token alone is the same for two databases holding the same events (two
    deployments, or two test runs, sharing one Redis), and one would then serve the other's reports."""
    return f"analytics:report:{make_url(database_url).database}"


class ReportCache:
    """On ``crm_common.resp``'s lean client: a hit is one GET, and redis-py's layers cost more than the GET itself.

    With a ``CheckpointWatch`` that holds the current token, a hit opens no database connection at all: the key is
    made from the token in memory. Otherwise (no watch, or one that cannot vouch for its token) the token is read
    from the table on the request's connection."""

    def __init__(
        self,
        redis: RespClient | None,
        ttl: timedelta,
        prefix: str = "analytics:report",
        watch: CheckpointWatch | None = None,
    ) -> None:
        self.redis, self.ttl, self.prefix, self.watch = redis, ttl, prefix, watch

    def key(self, checkpoint: str, report: str, params: dict[str, Any]) -> str:
        raw = orjson.dumps(params, default=_default, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(raw + b"#" + checkpoint.encode()).hexdigest()[:32]
        return f"{self.prefix}:{report}:{digest}"

    async def get_or_compute_json(
        self,
        reads: Callable[[], AbstractAsyncContextManager[Reads]],
        report: str,
        params: dict[str, Any],
        compute: Callable[[Reads], Awaitable[Any]],
        model: type[BaseModel],
    ) -> bytes:
        """The report as JSON, as ``model`` dumps it (``compute`` returns ``model.model_dump(mode="json")`` from the
        connection it is given), from the cache at the current checkpoint or computed and cached on a miss: a hit
        and a miss give the same bytes. ``reads`` opens the request's connection (``lambda: reading(request)``),
        only when the token or the report has to be read from the database."""
        if self.redis is None:
            async with reads() as connection:
                return orjson.dumps(await compute(connection), default=_default)
        name = f"{report}:{schema_fingerprint(model)}"
        checkpoint = self.watch.known() if self.watch is not None else None
        if checkpoint is not None:  # looked up before any connection is opened
            key = self.key(checkpoint, name, params)
            if (cached := await self._get(report, key)) is not None:
                return cached
        async with reads() as connection:
            if checkpoint is None:  # the token from the table, then the lookup
                checkpoint = await (self.watch.read(connection) if self.watch is not None else token(connection))
                key = self.key(checkpoint, name, params)
                if (cached := await self._get(report, key)) is not None:
                    return cached
            return await self._compute(key, compute, connection)

    async def _get(self, report: str, key: str) -> bytes | None:
        try:
            cached = cast(bytes | None, await self.redis.call("GET", key)) if self.redis is not None else None
        except (RedisError, TimeoutError) as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
            cached = None
        CACHE.labels(report, "miss" if cached is None else "hit").inc()
        return cached

    async def _compute(self, key: str, compute: Callable[[Reads], Awaitable[Any]], connection: Reads) -> bytes:
        body = orjson.dumps(await compute(connection), default=_default)
        try:
            if self.redis is not None:
                await self.redis.call("SET", key, body, "EX", int(self.ttl.total_seconds()))
        except (RedisError, TimeoutError) as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
        return body

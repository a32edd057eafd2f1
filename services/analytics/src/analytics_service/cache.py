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
from datetime import timedelta
from functools import cache
from typing import Any, cast

import orjson
from prometheus_client import Counter
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from analytics_service.checkpoints.repository import token
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
    """On ``crm_common.resp``'s lean client: a hit is one GET, and redis-py's layers cost more than the GET itself."""

    def __init__(self, redis: RespClient | None, ttl: timedelta, prefix: str = "analytics:report") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl, prefix

    async def key(self, session: Reads, report: str, params: dict[str, Any]) -> str:
        raw = orjson.dumps(params, default=_default, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(raw + b"#" + (await token(session)).encode()).hexdigest()[:32]
        return f"{self.prefix}:{report}:{digest}"

    async def get_or_compute_json(
        self,
        session: Reads,
        report: str,
        params: dict[str, Any],
        compute: Callable[[], Awaitable[Any]],
        model: type[BaseModel],
    ) -> bytes:
        """The report as JSON, as ``model`` dumps it (``compute`` returns ``model.model_dump(mode="json")``), from
        the cache at the current checkpoint or computed and cached on a miss: a hit and a miss give the same bytes."""
        if self.redis is None:
            return orjson.dumps(await compute(), default=_default)
        key = await self.key(session, f"{report}:{schema_fingerprint(model)}", params)
        try:
            cached = cast(bytes | None, await self.redis.call("GET", key))
        except (RedisError, TimeoutError) as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
            cached = None
        if cached is not None:
            CACHE.labels(report, "hit").inc()
            return cached
        CACHE.labels(report, "miss").inc()
        body = orjson.dumps(await compute(), default=_default)
        try:
            await self.redis.call("SET", key, body, "EX", int(self.ttl.total_seconds()))
        except (RedisError, TimeoutError) as exc:
            log.warning("report cache unavailable", error=repr(exc)[:200])
        return body

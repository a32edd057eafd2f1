"""The Redis part of every proxied request in one round trip: is the session revoked, and is a rate limit exceeded.

Both checks used to cost a round trip each; they are independent, so one pipeline carries ``EXISTS`` of the session's
revocation entry and the rate-limit counters. The policies while Redis is down stay as documented (README.md): the
revocation check fails closed (503) unless ``GATEWAY_REVOCATION_FAIL_OPEN``, rate limits fail open unless
``GATEWAY_RATE_LIMIT_FAIL_OPEN=false``.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, Unauthorized
from crm_common.logging import get_logger
from crm_common.security import Principal
from crm_common.security.revocation import KEY as REVOKED_SESSION
from gateway_service.access.ratelimit import RateLimiter
from gateway_service.access.redis_guard import RedisBreaker, RedisUnavailable

log = get_logger(__name__)


class AccessGuard:
    def __init__(
        self, redis: Redis, breaker: RedisBreaker, limiter: RateLimiter, *, revocation_fail_open: bool
    ) -> None:
        self.redis, self.breaker, self.limiter = redis, breaker, limiter
        self.revocation_fail_open = revocation_fail_open

    async def check(self, principal: Principal | None, path: str, client_ip: str) -> None:
        plan = self.limiter.plan(path, user_id=principal.user_id if principal else None, client_ip=client_ip)
        if principal is None and plan is None:
            return

        async def run() -> list[Any]:
            pipe = self.redis.pipeline(transaction=False)
            if principal is not None:
                pipe.exists(REVOKED_SESSION.format(sid=principal.session_id))
            if plan is not None:
                self.limiter.queue(pipe, plan)
            return list(await pipe.execute())

        try:
            results = await self.breaker.call(run)
        except RedisUnavailable as exc:
            if principal is not None and not self.revocation_fail_open:
                raise ServiceUnavailable("session revocation cannot be checked right now; retry shortly") from exc
            if plan is not None and not self.limiter.fail_open:
                raise ServiceUnavailable("rate limits cannot be checked right now; retry shortly") from exc
            if principal is not None:
                log.warning("revocation unchecked, redis down", session_id=principal.session_id)
            return
        if principal is not None and results.pop(0):
            raise Unauthorized("session has been revoked")
        if plan is not None:
            self.limiter.evaluate(plan, results)

"""The Redis part of every proxied request in one round trip: is the session revoked, and is a rate limit exceeded.

Both checks used to cost a round trip each; they are independent, so one call carries ``EXISTS`` of the session's
revocation entry and the rate-limit counters (``INCR`` each, and ``EXPIRE`` when that created the counter: the
script runs whole, so no counter is left without its expiry). That call is one Lua script
(``EVALSHA``) rather than a pipeline of 1 + 2n commands: redis-py spends ~25 µs of CPU packing and parsing each command,
and the pipeline was ~20% of the gateway's CPU per proxied request. It goes through ``crm_common.resp`` rather than
redis-py, whose layers cost more than the round trip itself. The keys of one request may hash to different
cluster slots, so this assumes a single Redis (or a primary/replica pair), not Redis Cluster.

The policies while Redis is down stay as documented (README.md): the revocation check fails closed (503) unless
``GATEWAY_REVOCATION_FAIL_OPEN``, rate limits fail open unless ``GATEWAY_RATE_LIMIT_FAIL_OPEN=false``.
"""

from __future__ import annotations

from typing import Any, cast

from crm_common.errors import ServiceUnavailable, Unauthorized
from crm_common.logging import get_logger
from crm_common.resp import RespClient
from crm_common.security import Principal
from crm_common.security.revocation import KEY as REVOKED_SESSION
from gateway_service.access.ratelimit import RateLimiter
from gateway_service.access.redis_guard import RedisBreaker, RedisUnavailable

log = get_logger(__name__)

# KEYS: the revocation entry if ARGV[1] == "1", then the rate-limit counters; ARGV[2]: a new counter's expiry (seconds).
# Returns EXISTS of the revocation entry (if asked) followed by each counter's new value.
CHECK_SCRIPT = """
local out, first = {}, 1
if ARGV[1] == '1' then
  out[1] = redis.call('EXISTS', KEYS[1])
  first = 2
end
for i = first, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then
    redis.call('EXPIRE', KEYS[i], ARGV[2])
  end
  out[#out + 1] = count
end
return out
"""


class AccessGuard:
    def __init__(
        self, redis: RespClient, breaker: RedisBreaker, limiter: RateLimiter, *, revocation_fail_open: bool
    ) -> None:
        self.redis, self.breaker, self.limiter = redis, breaker, limiter
        self.revocation_fail_open = revocation_fail_open

    async def check(self, principal: Principal | None, path: str, client_ip: str) -> None:
        plan = self.limiter.plan(path, user_id=principal.user_id if principal else None, client_ip=client_ip)
        if principal is None and plan is None:
            return

        keys = [REVOKED_SESSION.format(sid=principal.session_id)] if principal is not None else []
        if plan is not None:
            keys += [key for key, _ in plan.counters]
        args: list[str | int] = ["1" if principal is not None else "0", plan.seconds + 1 if plan is not None else 0]

        async def run() -> list[Any]:
            return cast(list[Any], await self.redis.evalsha(CHECK_SCRIPT, keys, args))

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

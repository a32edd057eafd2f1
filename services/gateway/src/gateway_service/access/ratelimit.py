"""Fixed-window rate limits in Redis, per user and per client address, configured per path prefix.

Windows are aligned to the epoch so every gateway replica counts in the same key, and ``Retry-After`` is the time left
in the current window. One pipelined round trip per request: ``INCR`` then ``EXPIRE NX`` for each counter.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, TooManyRequests
from crm_common.logging import get_logger
from gateway_service.access.redis_guard import RedisBreaker, RedisUnavailable
from gateway_service.settings import RateLimitRule

log = get_logger(__name__)

KEY = "{namespace}:{prefix}:{kind}:{subject}:{window}"


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        rules: list[RateLimitRule],
        breaker: RedisBreaker,
        *,
        fail_open: bool,
        namespace: str = "gateway:rl",
    ) -> None:
        self.redis, self.breaker, self.fail_open, self.namespace = redis, breaker, fail_open, namespace
        self.rules = sorted(rules, key=lambda r: len(r.prefix), reverse=True)

    def rule_for(self, path: str) -> RateLimitRule | None:
        for rule in self.rules:
            if path == rule.prefix or path.startswith(rule.prefix.rstrip("/") + "/"):
                return rule
        return None

    async def hit(self, path: str, *, user_id: str | None, client_ip: str) -> None:
        """Count one request; raise 429 with the seconds until the window resets if a limit is exceeded."""
        rule = self.rule_for(path)
        if rule is None:
            return
        seconds = max(1, int(rule.window.total_seconds()))
        now = time.time()
        window = int(now // seconds)
        counters: list[tuple[str, int]] = []
        if rule.per_user and user_id:
            counters.append((self._key(rule, "user", user_id, window), rule.per_user))
        if rule.per_ip:
            counters.append((self._key(rule, "ip", client_ip, window), rule.per_ip))
        if not counters:
            return
        counts = await self._increment([key for key, _ in counters], seconds)
        if counts is None:
            return
        for (_, limit), count in zip(counters, counts, strict=True):
            if count > limit:
                retry_after = max(1, int((window + 1) * seconds - now + 0.999))
                raise TooManyRequests(f"rate limit of {limit} requests per {seconds}s exceeded", retry_after)

    def _key(self, rule: RateLimitRule, kind: str, subject: str, window: int) -> str:
        return KEY.format(namespace=self.namespace, prefix=rule.prefix, kind=kind, subject=subject, window=window)

    async def _increment(self, keys: list[str], ttl: int) -> list[int] | None:
        async def run() -> list[int]:
            pipe = self.redis.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, ttl + 1, nx=True)
            results = await pipe.execute()
            return [int(r) for r in results[::2]]

        try:
            return await self.breaker.call(run)
        except RedisUnavailable as exc:
            if self.fail_open:
                return None
            raise ServiceUnavailable("rate limits cannot be checked right now; retry shortly") from exc

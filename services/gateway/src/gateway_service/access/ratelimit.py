"""Fixed-window rate limits in Redis, per user and per client address, configured per path prefix.

Windows are aligned to the epoch so every gateway replica counts in the same key, and ``Retry-After`` is the time left
in the current window. One pipelined round trip per request: ``INCR`` then ``EXPIRE NX`` for each counter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, TooManyRequests
from crm_common.logging import get_logger
from gateway_service.access.redis_guard import RedisBreaker, RedisUnavailable
from gateway_service.settings import RateLimitRule

log = get_logger(__name__)

KEY = "{namespace}:{prefix}:{kind}:{subject}:{window}"


@dataclass(frozen=True)
class Plan:
    counters: list[tuple[str, int]]
    seconds: int
    window: int
    now: float


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

    def plan(self, path: str, *, user_id: str | None, client_ip: str) -> Plan | None:
        """The counters one request to ``path`` increments, or None if no limit applies."""
        rule = self.rule_for(path)
        if rule is None:
            return None
        seconds = max(1, int(rule.window.total_seconds()))
        now = time.time()
        window = int(now // seconds)
        counters: list[tuple[str, int]] = []
        if rule.per_user and user_id:
            counters.append((self._key(rule, "user", user_id, window), rule.per_user))
        if rule.per_ip:
            counters.append((self._key(rule, "ip", client_ip, window), rule.per_ip))
        return Plan(counters, seconds, window, now) if counters else None

    def queue(self, pipe: Any, plan: Plan) -> None:
        """Add the plan's ``INCR`` and ``EXPIRE NX`` to a pipeline another check shares (one round trip)."""
        for key, _ in plan.counters:
            pipe.incr(key)
            pipe.expire(key, plan.seconds + 1, nx=True)

    @staticmethod
    def evaluate(plan: Plan, counts: list[Any]) -> None:
        """429 with the seconds until the window resets if a counter went over its limit (``counts``: the value of
        each of the plan's counters after its ``INCR``)."""
        for (_, limit), count in zip(plan.counters, counts, strict=True):
            if int(count) > limit:
                retry_after = max(1, int((plan.window + 1) * plan.seconds - plan.now + 0.999))
                raise TooManyRequests(f"rate limit of {limit} requests per {plan.seconds}s exceeded", retry_after)

    async def hit(self, path: str, *, user_id: str | None, client_ip: str) -> None:
        """Count one request; raise 429 with the seconds until the window resets if a limit is exceeded."""
        plan = self.plan(path, user_id=user_id, client_ip=client_ip)
        if plan is None:
            return

        async def run() -> list[Any]:
            pipe = self.redis.pipeline(transaction=False)
            self.queue(pipe, plan)
            return list(await pipe.execute())

        try:
            results = await self.breaker.call(run)
        except RedisUnavailable as exc:
            if self.fail_open:
                return
            raise ServiceUnavailable("rate limits cannot be checked right now; retry shortly") from exc
        self.evaluate(plan, results[::2])

    def _key(self, rule: RateLimitRule, kind: str, subject: str, window: int) -> str:
        return KEY.format(namespace=self.namespace, prefix=rule.prefix, kind=kind, subject=subject, window=window)

"""Fixed-window rate limits in Redis, per user and per client address, configured per path prefix.

Windows are aligned to the epoch so every gateway replica counts in the same key, and ``Retry-After`` is the time left
in the current window. The counters are incremented in the one Redis round trip of every proxied request, with the
revocation check (``gateway_service.access.guard``); this module says which counters a request increments and judges
their new values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from crm_common.errors import TooManyRequests
from gateway_service.settings import RateLimitRule

KEY = "{namespace}:{prefix}:{kind}:{subject}:{window}"


@dataclass(frozen=True)
class Plan:
    counters: list[tuple[str, int]]
    seconds: int
    window: int
    now: float


class RateLimiter:
    def __init__(self, rules: list[RateLimitRule], *, fail_open: bool, namespace: str = "gateway:rl") -> None:
        self.fail_open, self.namespace = fail_open, namespace
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

    @staticmethod
    def evaluate(plan: Plan, counts: list[Any]) -> None:
        """429 with the seconds until the window resets if a counter went over its limit (``counts``: the value of
        each of the plan's counters after its ``INCR``)."""
        for (_, limit), count in zip(plan.counters, counts, strict=True):
            if int(count) > limit:
                retry_after = max(1, int((plan.window + 1) * plan.seconds - plan.now + 0.999))
                raise TooManyRequests(f"rate limit of {limit} requests per {plan.seconds}s exceeded", retry_after)

    def _key(self, rule: RateLimitRule, kind: str, subject: str, window: int) -> str:
        return KEY.format(namespace=self.namespace, prefix=rule.prefix, kind=kind, subject=subject, window=window)

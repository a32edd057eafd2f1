"""Login throttling in Redis: failed attempts counted per account and per client address in a fixed window.

The account key is derived from the submitted email whether or not such an account exists, so throttling answers
the same for unknown and known emails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from crm_common.errors import TooManyRequests

ACCOUNT_KEY = "auth:login-failures:account:{digest}"
IP_KEY = "auth:login-failures:ip:{ip}"


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_ip: int
    window_seconds: int


class LoginThrottle:
    def __init__(self, redis: Redis, limits: LoginLimits) -> None:
        self.redis, self.limits = redis, limits

    @staticmethod
    def _keys(email: str, ip: str) -> tuple[str, str]:
        digest = hashlib.sha256(email.encode()).hexdigest()
        return ACCOUNT_KEY.format(digest=digest), IP_KEY.format(ip=ip)

    async def check(self, email: str, ip: str) -> None:
        """Raise ``TooManyRequests`` (429 with Retry-After) if either counter reached its limit."""
        account, address = self._keys(email, ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in (account, address):
                pipe.get(key)
                pipe.ttl(key)
            acc_count, acc_ttl, ip_count, ip_ttl = await pipe.execute()
        blocked = [
            ttl
            for count, ttl, limit in (
                (acc_count, acc_ttl, self.limits.per_account),
                (ip_count, ip_ttl, self.limits.per_ip),
            )
            if count is not None and int(count) >= limit
        ]
        if blocked:
            retry_after = max(1, max(int(t) for t in blocked))
            raise TooManyRequests("too many failed login attempts; try again later", retry_after=retry_after)

    async def record_failure(self, email: str, ip: str) -> None:
        window = self.limits.window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, ip):
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            await pipe.execute()

    async def reset_account(self, email: str, ip: str) -> None:
        """A successful login clears the account's counter (not the address's: one success must not unlock a spray)."""
        account, _ = self._keys(email, ip)
        await self.redis.delete(account)

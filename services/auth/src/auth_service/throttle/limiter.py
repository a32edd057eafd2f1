"""Login throttling in Redis: failed attempts counted per account and per client address in a fixed window.

The account key is derived from the submitted email whether or not such an account exists, so throttling answers
the same for unknown and known emails.

While Redis is unreachable the throttle fails open: logins keep working (argon2id still makes each guess costly, and
the gateway's per-address limit applies again as soon as Redis is back); the outage is logged. The alternative, no
one able to log in during a Redis outage, is the worse failure for a shop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from crm_common.errors import TooManyRequests
from crm_common.logging import get_logger

log = get_logger(__name__)

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
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in (account, address):
                    pipe.get(key)
                    pipe.ttl(key)
                acc_count, acc_ttl, ip_count, ip_ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("login throttle unavailable, failing open", error=repr(exc)[:200])
            return
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
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in self._keys(email, ip):
                    pipe.incr(key)
                    pipe.expire(key, window, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("login failure not counted, redis unavailable", error=repr(exc)[:200])

    async def reset_account(self, email: str, ip: str) -> None:
        """A successful login clears the account's counter (not the address's: one success must not unlock a spray)."""
        account, _ = self._keys(email, ip)
        try:
            await self.redis.delete(account)
        except (RedisError, OSError) as exc:
            log.warning("login counter not reset, redis unavailable", error=repr(exc)[:200])

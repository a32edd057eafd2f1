"""While Redis is unreachable the login throttle fails open (documented in the limiter), it never breaks login."""

from __future__ import annotations

from redis.asyncio import Redis

from auth_service.throttle.limiter import LoginLimits, LoginThrottle
from crm_testing import free_port


def unreachable_throttle() -> LoginThrottle:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    return LoginThrottle(redis, LoginLimits(per_account=1, per_ip=1, window_seconds=60))


async def test_check_lets_the_attempt_through_when_redis_is_down() -> None:
    throttle = unreachable_throttle()
    await throttle.check("someone@example.com", "10.0.0.1")  # no exception: fail open


async def test_counting_and_resetting_do_not_raise_when_redis_is_down() -> None:
    throttle = unreachable_throttle()
    await throttle.record_failure("someone@example.com", "10.0.0.1")
    await throttle.reset_account("someone@example.com", "10.0.0.1")

"""``SessionCheck``: what every service asks before trusting a token, against a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest
from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, Unauthorized
from crm_common.redis_breaker import RedisBreaker
from crm_common.security import revocation
from crm_common.security.jwt import Principal
from crm_common.security.revocation import RevocationStore, SessionCheck, session_check
from crm_common.settings import ServiceSettings
from crm_testing import FakeClock, free_port, redis_url

REVOKED = "^session has been revoked$"


def principal(expires_at: datetime | None = None) -> Principal:
    return Principal(
        user_id="u",
        session_id=str(uuid.uuid4()),
        token_id="t",
        permissions=frozenset(),
        expires_at=expires_at or datetime.now(UTC) + timedelta(minutes=5),
    )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    yield client
    await client.aclose()


def check(redis: Redis, cache_seconds: float) -> SessionCheck:
    return SessionCheck(RevocationStore(redis), cache_seconds=cache_seconds, breaker=RedisBreaker(cool_down=5.0))


async def test_a_live_session_passes_and_a_revoked_one_is_401(redis: Redis) -> None:
    live, revoked, sessions = principal(), principal(), check(redis, 0)
    await RevocationStore(redis).revoke(revoked.session_id, 60)
    await sessions.ensure_live(live)
    with pytest.raises(Unauthorized, match=REVOKED):
        await sessions.ensure_live(revoked)


async def test_without_cache_a_revocation_is_seen_on_the_next_call(redis: Redis) -> None:
    caller, sessions = principal(), check(redis, 0)
    await sessions.ensure_live(caller)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(caller)


async def test_a_live_answer_is_reused_within_the_cache_time(redis: Redis) -> None:
    caller, sessions = principal(), check(redis, 60)
    await sessions.ensure_live(caller)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    await sessions.ensure_live(caller)  # still the cached answer: the price of not asking Redis each time


async def test_a_revoked_answer_stays_revoked_after_the_entry_is_gone(redis: Redis) -> None:
    caller, sessions = principal(), check(redis, 0)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(caller)
    await redis.delete(f"auth:revoked-session:{caller.session_id}")
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(caller)


async def test_redis_down_fails_closed_with_503() -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    try:
        sessions = check(unreachable, 60)
        for _ in range(2):  # the second refusal comes from the open breaker, without another timeout
            with pytest.raises(
                ServiceUnavailable, match=r"^session revocation cannot be checked right now; retry shortly$"
            ):
                await sessions.ensure_live(principal())
    finally:
        await unreachable.aclose()


@pytest.fixture
def fake_time(clock: Callable[[ModuleType], FakeClock]) -> FakeClock:
    return clock(revocation)


def expiring_in(fake_time: FakeClock, seconds: float) -> Principal:
    return principal(datetime.fromtimestamp(fake_time.now + seconds, UTC))


async def test_a_live_answer_expires_after_the_cache_time_exactly(redis: Redis, fake_time: FakeClock) -> None:
    caller, sessions = expiring_in(fake_time, 300), check(redis, 60)
    await sessions.ensure_live(caller)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    fake_time.advance(59.5)
    await sessions.ensure_live(caller)  # still cached
    fake_time.advance(0.5)
    with pytest.raises(Unauthorized, match=REVOKED):
        await sessions.ensure_live(caller)


async def test_a_sub_second_cache_still_caches(redis: Redis, fake_time: FakeClock) -> None:
    caller, sessions = expiring_in(fake_time, 300), check(redis, 0.5)
    await sessions.ensure_live(caller)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    await sessions.ensure_live(caller)


async def test_a_revoked_answer_is_forgotten_once_the_token_has_expired(redis: Redis, fake_time: FakeClock) -> None:
    caller, sessions = expiring_in(fake_time, 0.5), check(redis, 0)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(caller)
    await redis.delete(f"auth:revoked-session:{caller.session_id}")
    fake_time.advance(0.4)
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(caller)  # the token still lives, so does the revoked answer
    fake_time.advance(0.2)
    await sessions.ensure_live(caller)  # asked Redis again: the cache does not keep dead sessions


async def test_a_full_cache_is_emptied_before_it_grows_past_its_size(redis: Redis, fake_time: FakeClock) -> None:
    sessions = SessionCheck(RevocationStore(redis), cache_seconds=60, breaker=RedisBreaker(cool_down=5.0), size=2)
    first, second, third = (expiring_in(fake_time, 300) for _ in range(3))
    await sessions.ensure_live(first)
    await sessions.ensure_live(second)
    await RevocationStore(redis).revoke(first.session_id, 60)
    await sessions.ensure_live(third)  # the cache held `size` answers: it is emptied first
    with pytest.raises(Unauthorized):
        await sessions.ensure_live(first)


async def test_the_factory_takes_cache_and_retry_times_from_the_settings(redis: Redis, fake_time: FakeClock) -> None:
    settings = ServiceSettings(revocation_cache_seconds=30, revocation_retry_seconds=7)
    sessions = session_check(redis, settings)
    assert (sessions.cache_seconds, sessions.breaker.cool_down) == (30, 7)
    caller = expiring_in(fake_time, 300)
    await sessions.ensure_live(caller)
    await RevocationStore(redis).revoke(caller.session_id, 60)
    await sessions.ensure_live(caller)  # cached for 30 s
    uncached, other = session_check(redis, settings, cache_seconds=0), expiring_in(fake_time, 300)
    await uncached.ensure_live(other)
    await RevocationStore(redis).revoke(other.session_id, 60)
    with pytest.raises(Unauthorized, match=REVOKED):
        await uncached.ensure_live(other)  # the explicit cache time (none) wins over the settings


@pytest.mark.parametrize(("ttl", "expected"), [(60, 60), (0, 1), (-5, 1)])
async def test_a_revocation_entry_lives_as_long_as_the_tokens_it_refuses(redis: Redis, ttl: int, expected: int) -> None:
    sid = str(uuid.uuid4())
    await RevocationStore(redis).revoke(sid, ttl)
    assert expected - 1 < await redis.ttl(f"auth:revoked-session:{sid}") <= expected

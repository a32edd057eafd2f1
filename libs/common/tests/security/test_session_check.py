"""``SessionCheck``: what every service asks before trusting a token, against a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from crm_common.errors import ServiceUnavailable, Unauthorized
from crm_common.redis_breaker import RedisBreaker
from crm_common.security.jwt import Principal
from crm_common.security.revocation import RevocationStore, SessionCheck
from crm_common.testing import free_port, redis_url


def principal() -> Principal:
    return Principal(
        user_id="u",
        session_id=str(uuid.uuid4()),
        token_id="t",
        permissions=frozenset(),
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
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
    with pytest.raises(Unauthorized, match="session has been revoked"):
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
            with pytest.raises(ServiceUnavailable):
                await sessions.ensure_live(principal())
    finally:
        await unreachable.aclose()

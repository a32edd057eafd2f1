"""The Redis circuit breaker lives in ``crm_common.redis_breaker`` (every service's revocation check uses it)."""

from crm_common.redis_breaker import RedisBreaker, RedisUnavailable

__all__ = ["RedisBreaker", "RedisUnavailable"]

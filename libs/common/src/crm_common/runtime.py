"""What a service holds while it runs: engine, sessions, broker, redis, token verifier; made in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import check_database, create_engine, session_factory
from crm_common.errors import InfrastructureMissing
from crm_common.messaging.broker import check_kafka, make_broker
from crm_common.resp import RespClient
from crm_common.security.jwt import JWKSKeySource, TokenVerifier
from crm_common.security.revocation import SessionCheck, session_check
from crm_common.settings import ServiceSettings
from crm_common.web.health import Check


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    broker: KafkaBroker | None = None
    redis: Redis | None = None
    resp: RespClient | None = None  # the same Redis for per-request commands (crm_common.resp); connects lazily
    revocation_redis: Redis | None = None  # opened lazily by session_check() when the service needs no other Redis
    checks: dict[str, Check] = field(default_factory=dict)

    @classmethod
    async def open(
        cls, settings: ServiceSettings, *, schema: str | None, kafka: bool, redis: bool, client_id: str
    ) -> Runtime:
        """Connect to what the service uses, failing fast with the part and address that are missing."""
        rt = cls(settings)
        if schema is not None:
            # A fixed pool: connections opened beyond a pool's size are closed again as soon as they are returned,
            # and under steady load that was a new PostgreSQL backend (and TLS attempt) every few requests.
            rt.engine = create_engine(
                settings.database_url, schema, pool_size=settings.db_pool_size, max_overflow=0, jit=settings.db_jit
            )
            rt.sessions = session_factory(rt.engine)
            await check_database(rt.engine)
            engine = rt.engine
            rt.checks["postgres"] = lambda: check_database(engine)
        if kafka:
            await check_kafka(settings.kafka_bootstrap_servers)
            rt.broker = make_broker(settings.kafka_bootstrap_servers, client_id)
            servers = settings.kafka_bootstrap_servers
            rt.checks["kafka"] = lambda: check_kafka(servers, timeout=2.0)
        if redis:
            rt.redis = Redis.from_url(settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
            await check_redis(rt.redis, settings.redis_url)
            rt.resp = RespClient(settings.redis_url, timeout=2.0)
            client = rt.redis
            rt.checks["redis"] = lambda: check_redis(client, settings.redis_url)
        return rt

    def token_verifier(self) -> TokenVerifier:
        s = self.settings
        keys = JWKSKeySource(s.jwks_url, cache_seconds=s.jwks_cache_seconds)
        return TokenVerifier(
            keys, algorithm=s.jwt_algorithm, issuer=s.jwt_issuer, audience=s.jwt_audience, leeway=s.jwt_leeway_seconds
        )

    def session_check(self, *, cache_seconds: float | None = None) -> SessionCheck:
        """The revocation check ``current_principal`` runs on every authenticated request.

        A service that uses Redis for nothing else does not need it to start: its consumers work without it, and
        while Redis is away its API refuses authenticated calls (503) rather than trusting them.
        """
        if self.redis is None and self.revocation_redis is None:
            s = self.settings
            self.revocation_redis = Redis.from_url(s.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        client = self.redis or self.revocation_redis
        assert client is not None
        return session_check(client, self.settings, cache_seconds=cache_seconds)

    async def close(self) -> None:
        if self.broker is not None:
            await self.broker.stop()
        if self.resp is not None:
            await self.resp.close()
        for client in (self.redis, self.revocation_redis):
            if client is not None:
                await client.aclose()
        if self.engine is not None:
            await self.engine.dispose()


async def check_redis(client: Redis, url: str) -> None:
    try:
        await client.ping()
    except Exception as exc:
        raise InfrastructureMissing("Redis", url, f"{type(exc).__name__}: {exc}") from exc

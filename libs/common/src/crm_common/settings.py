"""Typed settings shared by every service.

Infrastructure variables keep their plain, unprefixed names (``DATABASE_URL``, ``REDIS_URL``,
``KAFKA_BOOTSTRAP_SERVERS``, ``SECRET_KEY``, ``ENVIRONMENT``): each process gets its own values from its environment
(a compose service or a k8s Deployment). Settings that belong to one service carry that service's prefix
(``AUTH_ACCESS_TOKEN_TTL``, ``CONNECTOR_...``) through ``env_prefix`` on the subclass.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-secret-key-change-me"  # noqa: S105 - the documented development default, refused elsewhere


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


def env_field(default: Any, *names: str, **kwargs: Any) -> Any:
    """A field read from the first of ``names`` that is set (prefixed names first, then the shared one)."""
    return Field(default=default, validation_alias=AliasChoices(*names), **kwargs)


class ServiceSettings(BaseSettings):
    """Base for every service's settings class; subclasses set ``env_prefix`` and ``service_name``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "service"

    environment: Environment = env_field(Environment.DEVELOPMENT, "ENVIRONMENT")
    log_level: str = env_field("INFO", "LOG_LEVEL")
    log_json: bool = env_field(True, "LOG_JSON")
    database_url: str = env_field("postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm", "DATABASE_URL")
    redis_url: str = env_field("redis://127.0.0.1:6379/0", "REDIS_URL")
    kafka_bootstrap_servers: str = env_field("127.0.0.1:9092", "KAFKA_BOOTSTRAP_SERVERS")
    secret_key: SecretStr = env_field(SecretStr(DEV_SECRET_KEY), "SECRET_KEY")
    # JWT verification (tokens are issued by the auth service).
    jwt_issuer: str = env_field("crm-auth", "JWT_ISSUER")
    jwt_audience: str = env_field("crm-api", "JWT_AUDIENCE")
    jwt_algorithm: str = env_field("EdDSA", "JWT_ALGORITHM")
    jwks_url: str = env_field("http://127.0.0.1:8001/api/v1/auth/.well-known/jwks.json", "JWKS_URL")
    jwks_cache_seconds: int = env_field(300, "JWKS_CACHE_SECONDS")
    # Clock skew tolerated on exp/nbf/iat between auth and the verifying process (RFC 7519 §4.1.4 allows "a few
    # minutes"); without it a verifier whose clock is a second behind rejects tokens issued just now.
    jwt_leeway_seconds: int = env_field(30, "JWT_LEEWAY_SECONDS", ge=0, le=300)
    # How long a service trusts a "session not revoked" answer from Redis: the longest a logged-out token still works
    # directly against a service (the gateway checks on every request). 0 asks Redis on every request.
    revocation_cache_seconds: float = env_field(1.0, "REVOCATION_CACHE_SECONDS", ge=0, le=60)
    # After Redis failed, how long requests are refused (503) at once instead of waiting for another timeout each.
    revocation_retry_seconds: float = env_field(2.0, "REVOCATION_RETRY_SECONDS", ge=0, le=60)
    http_host: str = env_field("127.0.0.1", "HTTP_HOST")
    # PostgreSQL connections one process keeps at most (requests and consumers share them; one more waits for one to
    # be returned). Opened as needed and kept: size PostgreSQL's max_connections for the sum over every process.
    db_pool_size: int = env_field(20, "DB_POOL_SIZE", ge=1, le=500)
    # PostgreSQL's JIT compilation for this process's statements: off, because compiling cost more than the
    # statements it was triggered for, whose cost estimates ran high on fast-growing tables
    # (crm_common.db.create_engine).
    db_jit: bool = env_field(False, "DB_JIT")
    # Once started, the objects alive (modules, schemas, pools, the app) are moved out of the garbage collector's way
    # (gc.freeze): they are never garbage, and every full collection walked them all (docs/operations.md, "Memory and
    # garbage collection"). Test processes, which start many apps in one interpreter, turn it off.
    gc_freeze: bool = env_field(True, "GC_FREEZE")
    # How many container objects the process may allocate (net of those freed) before the collector looks at the
    # young ones: CPython's 700 made a consumer collect a batch's live events (and promote them, to walk them again in
    # the older generations) several times per batch. 0 keeps the interpreter's own (docs/operations.md, "Memory
    # and garbage collection").
    gc_young_threshold: int = env_field(50_000, "GC_YOUNG_THRESHOLD", ge=0, le=10_000_000)

    @property
    def is_development(self) -> bool:
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if not self.is_development and self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            raise ValueError(
                f"SECRET_KEY still has its development default while ENVIRONMENT={self.environment.value}; "
                "set a real secret"
            )
        return self

"""Settings of the gateway (env prefix ``GATEWAY_``; shared infrastructure names stay plain)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings


class RateLimitRule(BaseModel):
    """Requests allowed per ``window`` on paths starting with ``prefix`` (the longest matching prefix wins).

    ``per_user`` counts by the authenticated user, ``per_ip`` by the client address; 0 disables that counter.
    """

    prefix: str
    per_user: int = Field(default=0, ge=0)
    per_ip: int = Field(default=0, ge=0)
    window: timedelta = timedelta(minutes=1)


DEFAULT_RATE_LIMITS = [
    # Login is where credential stuffing happens: few attempts per address (auth also throttles per account).
    RateLimitRule(prefix="/api/v1/auth/login", per_ip=20, window=timedelta(minutes=1)),
    RateLimitRule(prefix="/api/v1/auth/refresh", per_ip=60, window=timedelta(minutes=1)),
    RateLimitRule(prefix="/api/v1/admin/sync", per_user=30, per_ip=60, window=timedelta(minutes=1)),
    # MoySklad delivers a burst of notifications after a bulk change; beyond this the sync runs anyway.
    RateLimitRule(prefix="/api/v1/integrations/moysklad/webhook", per_ip=600, window=timedelta(minutes=1)),
    RateLimitRule(prefix="/api/v1/integrations/bitrix24/webhook", per_ip=600, window=timedelta(minutes=1)),
    RateLimitRule(prefix="/api/v1", per_user=1200, per_ip=2400, window=timedelta(minutes=1)),
]

DEFAULT_PUBLIC_PATHS = [
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/.well-known/jwks.json",
    # The user who forgot the password has no token: the admin-issued one-time reset token is in the body.
    "/api/v1/auth/password/reset",
    "/api/v1/integrations/moysklad/webhook",
    "/api/v1/integrations/bitrix24/webhook",
]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "gateway"

    port: int = 8000
    workers: int = 1
    # Proxied requests skip FastAPI's router and endpoint machinery (proxy/fastpath.py); off only to compare.
    proxy_fast_path: bool = True

    # Upstreams (docs/architecture.md, "Processes and ports").
    auth_url: str = "http://127.0.0.1:8001"
    catalog_url: str = "http://127.0.0.1:8002"
    inventory_url: str = "http://127.0.0.1:8003"
    analytics_url: str = "http://127.0.0.1:8004"
    connector_url: str = "http://127.0.0.1:8005"
    bitrix24_connector_url: str = "http://127.0.0.1:8006"

    @field_validator(
        "auth_url", "catalog_url", "inventory_url", "analytics_url", "connector_url", "bitrix24_connector_url"
    )
    @classmethod
    def _plain_http(cls, value: str) -> str:
        """The proxy's client speaks plain HTTP/1.1 to the services (proxy/upstream.py): refused at start-up rather
        than at the first request."""
        parts = urlsplit(value)
        if parts.scheme != "http" or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{value!r}: an upstream is http://host[:port][/path], plain HTTP inside the cluster")
        return value.rstrip("/")

    # Paths let through without a token: exact paths, or a prefix ending in ``/*``. The services still check.
    public_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PUBLIC_PATHS))

    # JWKS of auth: an unknown ``kid`` triggers a refetch at most this often (forged kids cannot flood auth).
    jwks_min_refetch: timedelta = timedelta(seconds=5)

    # Upstream HTTP client.
    connect_timeout: timedelta = timedelta(seconds=2)
    upstream_timeout: timedelta = timedelta(seconds=30)
    max_connections: int = 512
    max_keepalive_connections: int = 128
    keepalive_expiry: timedelta = timedelta(seconds=30)
    idempotent_retries: int = 2
    max_body_bytes: int = 10 * 1024 * 1024

    # Redis-backed protections, and what happens while Redis is unreachable (README.md, "When Redis is down").
    rate_limits: list[RateLimitRule] = Field(default_factory=lambda: list(DEFAULT_RATE_LIMITS))
    rate_limit_fail_open: bool = True
    rate_limit_namespace: str = "gateway:rl"
    revocation_fail_open: bool = False
    redis_retry_after: timedelta = timedelta(seconds=2)

    # Browser-facing behaviour.
    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = True
    gzip_min_bytes: int = 1024
    hsts: bool = False

    # Merged OpenAPI document.
    docs_cache: timedelta = timedelta(seconds=30)
    docs_fetch_timeout: timedelta = timedelta(seconds=2)

    # Real-time notifications.
    notifications_enabled: bool = True
    notifications_keep: int = 1000
    notifications_heartbeat: timedelta = timedelta(seconds=15)
    notifications_group: str = "gateway-notifications"

    health_timeout: timedelta = timedelta(seconds=3)

    # The web console's built bundle (`make console`), served at `/`; relative to the working directory.
    console_dir: str = "console/dist"

"""Settings of the auth service (env prefix ``AUTH_``; shared infrastructure names stay plain)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings

DEV_ADMIN_EMAIL = "admin@example.com"
DEV_ADMIN_PASSWORD = "admin123"  # noqa: S105 - the documented development default, refused elsewhere


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "auth"

    port: int = 8001
    access_token_ttl: timedelta = timedelta(minutes=15)
    # Absolute lifetime of a login session (its refresh-token family); refresh never extends it.
    refresh_token_ttl: timedelta = timedelta(days=30)
    password_reset_ttl: timedelta = timedelta(hours=1)
    # An Ed25519 (or RSA for RS256) private key in PEM: when set it signs tokens instead of the keys in the database.
    signing_key_pem: SecretStr | None = None
    # How often a running process re-reads the signing keys, so `crm-auth rotate-keys` takes effect without a restart.
    keyring_refresh_seconds: float = 10.0

    admin_email: str | None = None
    admin_password: SecretStr | None = None

    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 50
    login_failure_window: timedelta = timedelta(minutes=15)

    password_min_length: int = 10
    password_max_length: int = 128
    # argon2id, OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    max_body_bytes: int = 64 * 1024

    @property
    def key_publish_grace(self) -> timedelta:
        """How long a superseded key stays in the JWKS: until every token it signed expired and caches refreshed."""
        return self.access_token_ttl + timedelta(seconds=self.jwks_cache_seconds + 60)

    @model_validator(mode="after")
    def _refuse_default_admin_password(self) -> AuthSettings:
        password = self.admin_password.get_secret_value() if self.admin_password else None
        if not self.is_development and password == DEV_ADMIN_PASSWORD:
            raise ValueError(
                f"AUTH_ADMIN_PASSWORD is the development default while ENVIRONMENT={self.environment.value}; "
                "set a real password"
            )
        return self

"""What the auth use cases need besides the database session; built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_service.keys.service import KeyRing
from auth_service.passwords.hashing import PasswordHasher
from auth_service.passwords.policy import check_password
from auth_service.settings import AuthSettings
from auth_service.throttle.limiter import LoginThrottle
from crm_common.security.revocation import RevocationStore


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for sessions and the audit trail."""

    ip: str
    user_agent: str = ""
    request_id: str | None = None


@dataclass
class AuthContext:
    settings: AuthSettings
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    hasher: PasswordHasher
    throttle: LoginThrottle
    revocations: RevocationStore

    def check_password_policy(self, password: str, email: str) -> None:
        s = self.settings
        check_password(password, email=email, min_length=s.password_min_length, max_length=s.password_max_length)


def make_hasher(settings: AuthSettings) -> PasswordHasher:
    return PasswordHasher(
        memory_kib=settings.argon2_memory_kib,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
    )


def normalize_email(email: str) -> str:
    return email.strip().lower()

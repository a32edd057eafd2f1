"""Which key signs, which keys are published, and rotation without downtime.

Rotation inserts a new key and marks the old one superseded. The JWKS is read from the database on every request, so
a new key is published the moment its transaction commits; running processes start signing with it within
``AUTH_KEYRING_REFRESH_SECONDS``. The superseded key stays in the JWKS for ``key_publish_grace`` (access-token TTL plus
the verifiers' JWKS cache time), so every token it signed keeps verifying until it expires.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from jwt import PyJWK
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_service.db import utcnow
from auth_service.keys.crypto import (
    SigningKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    load_pem,
    make_signing_key,
)
from auth_service.keys.models import SigningKeyRow
from auth_service.keys.repository import SigningKeyRepository
from auth_service.settings import AuthSettings
from crm_common.db import transaction


async def create_key(session: AsyncSession, settings: AuthSettings, now: datetime | None = None) -> SigningKey:
    """Make a new key the signing key; the previous one stays published for the grace period."""
    repo = SigningKeyRepository(session)
    await repo.lock_for_rotation()
    key = make_signing_key(generate_private_key(settings.jwt_algorithm), settings.jwt_algorithm)
    secret = settings.secret_key.get_secret_value()
    row = SigningKeyRow(
        kid=key.kid,
        algorithm=key.algorithm,
        public_jwk=key.public_jwk,
        private_key_ciphertext=encrypt_private_key(key.private_key, key.kid, secret),
        created_at=now or utcnow(),
    )
    await repo.add(row)
    await repo.supersede_all_but(key.kid, row.created_at)
    return key


async def ensure_key(session: AsyncSession, settings: AuthSettings) -> None:
    """Create the first signing key if there is none (safe when several processes start at once)."""
    repo = SigningKeyRepository(session)
    await repo.lock_for_rotation()
    if await repo.current() is None:
        await create_key(session, settings)


def _decrypt(row: SigningKeyRow, settings: AuthSettings) -> SigningKey:
    try:
        private = decrypt_private_key(row.private_key_ciphertext, row.kid, settings.secret_key.get_secret_value())
    except Exception as exc:
        raise RuntimeError(
            f"cannot decrypt signing key {row.kid}: SECRET_KEY differs from the one it was stored with; "
            "restore SECRET_KEY or run `crm-auth rotate-keys`"
        ) from exc
    return SigningKey(kid=row.kid, algorithm=row.algorithm, private_key=private, public_jwk=dict(row.public_jwk))


class KeyRing:
    """The signing key of this process (re-read periodically) and the published public keys."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
        self.sessions, self.settings = sessions, settings
        pem = settings.signing_key_pem
        self._pem_key = load_pem(pem.get_secret_value(), settings.jwt_algorithm) if pem else None
        self._current: SigningKey | None = None
        self._loaded_at = float("-inf")

    async def signing_key(self) -> SigningKey:
        if self._pem_key is not None:
            return self._pem_key
        if self._current is None or time.monotonic() - self._loaded_at > self.settings.keyring_refresh_seconds:
            await self.reload()
        assert self._current is not None
        return self._current

    async def reload(self) -> None:
        async with transaction(self.sessions) as session:
            row = await SigningKeyRepository(session).current()
            if row is None:
                await ensure_key(session, self.settings)
                row = await SigningKeyRepository(session).current()
        assert row is not None
        if self._current is None or self._current.kid != row.kid:
            self._current = _decrypt(row, self.settings)
        self._loaded_at = time.monotonic()

    async def public_jwks(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await SigningKeyRepository(session).published(utcnow() - self.settings.key_publish_grace)
        jwks = [dict(r.public_jwk) for r in rows]
        if self._pem_key is not None and all(k["kid"] != self._pem_key.kid for k in jwks):
            jwks.insert(0, self._pem_key.public_jwk)
        return jwks

    async def get(self, kid: str) -> Any:
        """``KeySource`` for verifying this service's own tokens without an HTTP round trip to itself."""
        for jwk in await self.public_jwks():
            if jwk["kid"] == kid:
                return PyJWK(jwk).key
        return None

"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256), and the SQL of stored integrations.

The key is the connector's own setting when set, else one derived from the service's ``SECRET_KEY`` and a purpose
string (never stored anywhere), so two connectors sharing a ``SECRET_KEY`` still encrypt with different keys.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Generic, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_integration.tables import IntegrationRow

Row = TypeVar("Row", bound=IntegrationRow)


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_keys(cls, explicit: SecretStr | None, secret_key: SecretStr, purpose: str) -> SecretBox:
        """``explicit`` (urlsafe base64 of 32 bytes) if set, else a key derived from ``secret_key`` for ``purpose``."""
        if explicit is not None:
            return cls(explicit.get_secret_value().encode())
        digest = hashlib.sha256(f"{purpose}|".encode() + secret_key.get_secret_value().encode()).digest()
        return cls(base64.urlsafe_b64encode(digest))

    def encrypt(self, plain: str) -> bytes:
        return self._fernet.encrypt(plain.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("stored credentials cannot be decrypted with the configured key") from exc


class IntegrationRepository(Generic[Row]):
    def __init__(self, session: AsyncSession, model: type[Row]) -> None:
        self.session, self.model = session, model

    async def get(self, integration_id: str) -> Row | None:
        return await self.session.get(self.model, integration_id)

    async def all(self) -> Sequence[Row]:
        return (await self.session.scalars(select(self.model).order_by(self.model.id))).all()

    async def delete(self, integration: Row) -> None:
        await self.session.delete(integration)
        await self.session.flush()

    async def save(self, integration: Row) -> Row:
        merged = await self.session.merge(integration)
        await self.session.flush()
        return merged


async def enabled_integrations(
    sessions: async_sessionmaker[AsyncSession], model: type[IntegrationRow], environment_id: str | None
) -> list[str]:
    """What the scheduler syncs: stored, enabled integrations, plus ``environment_id`` (the integration the
    environment configures, if any) unless one is stored under that id."""
    async with transaction(sessions) as session:
        rows = await IntegrationRepository(session, model).all()
    ids = [row.id for row in rows if row.enabled]
    if environment_id is not None and environment_id not in {row.id for row in rows}:
        ids.insert(0, environment_id)
    return ids

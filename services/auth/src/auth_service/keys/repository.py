from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.keys.models import SigningKeyRow

# Serialises key creation and rotation across processes (any constant unique within this database).
_ROTATION_LOCK = 0x61757468_6B657973


class SigningKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_rotation(self) -> None:
        await self.session.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _ROTATION_LOCK})

    async def current(self) -> SigningKeyRow | None:
        stmt = (
            select(SigningKeyRow)
            .where(SigningKeyRow.superseded_at.is_(None))
            .order_by(SigningKeyRow.created_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def published(self, superseded_after: datetime) -> Sequence[SigningKeyRow]:
        """The current key and those superseded recently enough that tokens they signed may still be alive."""
        stmt = (
            select(SigningKeyRow)
            .where(or_(SigningKeyRow.superseded_at.is_(None), SigningKeyRow.superseded_at > superseded_after))
            .order_by(SigningKeyRow.created_at.desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def add(self, row: SigningKeyRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def supersede_all_but(self, kid: str, at: datetime) -> None:
        stmt = (
            update(SigningKeyRow)
            .where(SigningKeyRow.kid != kid, SigningKeyRow.superseded_at.is_(None))
            .values(superseded_at=at)
        )
        await self.session.execute(stmt)

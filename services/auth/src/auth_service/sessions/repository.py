from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.sessions.models import RefreshToken, UserSession


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_session: UserSession) -> None:
        self.session.add(user_session)
        await self.session.flush()

    async def add_refresh_token(self, token_hash: str, session_id: uuid.UUID) -> None:
        self.session.add(RefreshToken(token_hash=token_hash, session_id=session_id))
        await self.session.flush()

    async def get(self, session_id: uuid.UUID) -> UserSession | None:
        return await self.session.get(UserSession, session_id)

    async def refresh_token_for_update(self, token_hash: str) -> tuple[RefreshToken, UserSession] | None:
        """The token and its session, both locked: two refreshes with one token cannot both succeed."""
        stmt = (
            select(RefreshToken, UserSession)
            .join(UserSession, UserSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == token_hash)
            .with_for_update()
        )
        row = (await self.session.execute(stmt)).one_or_none()
        return None if row is None else (row[0], row[1])

    async def for_user(self, user_id: uuid.UUID, *, active_only: bool = False) -> Sequence[UserSession]:
        stmt = select(UserSession).where(UserSession.user_id == user_id)
        if active_only:
            stmt = stmt.where(UserSession.revoked_at.is_(None))
        stmt = stmt.order_by(UserSession.created_at.desc()).with_for_update()
        return (await self.session.execute(stmt)).scalars().all()

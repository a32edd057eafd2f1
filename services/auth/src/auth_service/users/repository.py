from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.roles.models import Role
from auth_service.users.models import PasswordResetToken, User, user_roles

SORTABLE = {"email": User.email, "created_at": User.created_at, "last_login_at": User.last_login_at}


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        return (await self.session.execute(select(User).where(User.email == email))).scalar_one_or_none()

    async def page(
        self, *, limit: int, offset: int, email: str | None, is_active: bool | None, sort: str, descending: bool
    ) -> tuple[Sequence[User], int]:
        stmt = select(User)
        if email:
            stmt = stmt.where(User.email.contains(email.lower(), autoescape=True))
        if is_active is not None:
            stmt = stmt.where(User.is_active.is_(is_active))
        total = (await self.session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
        column = SORTABLE[sort]
        order = column.desc().nulls_last() if descending else column.asc().nulls_first()
        rows = await self.session.execute(stmt.order_by(order, User.id).limit(limit).offset(offset))
        return rows.scalars().all(), int(total)

    async def add(self, user: User) -> None:
        self.session.add(user)
        await self.session.flush()

    async def delete(self, user: User) -> None:
        await self.session.delete(user)
        await self.session.flush()

    async def set_roles(self, user_id: uuid.UUID, role_ids: Iterable[uuid.UUID]) -> None:
        await self.session.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
        rows = [{"user_id": user_id, "role_id": r} for r in set(role_ids)]
        if rows:
            await self.session.execute(insert(user_roles), rows)

    async def role_names(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        stmt = (
            select(user_roles.c.user_id, Role.name)
            .join(Role, Role.id == user_roles.c.role_id)
            .where(user_roles.c.user_id.in_(list(user_ids)))
            .order_by(Role.name)
        )
        names: dict[uuid.UUID, list[str]] = defaultdict(list)
        for user_id, name in await self.session.execute(stmt):
            names[user_id].append(name)
        return names


class PasswordResetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: PasswordResetToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def usable_for_update(self, token_hash: str, now: datetime) -> PasswordResetToken | None:
        stmt = (
            select(PasswordResetToken)
            .where(
                PasswordResetToken.token_hash == token_hash,
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def invalidate_for_user(self, user_id: uuid.UUID, now: datetime) -> None:
        stmt = (
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
        )
        await self.session.execute(stmt)

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.roles.models import PermissionRow, Role, role_permissions
from auth_service.users.models import user_roles


class RoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_name(self, name: str) -> Role | None:
        return (await self.session.execute(select(Role).where(Role.name == name))).scalar_one_or_none()

    async def by_names(self, names: Iterable[str]) -> Sequence[Role]:
        return (await self.session.execute(select(Role).where(Role.name.in_(list(names))))).scalars().all()

    async def page(self, limit: int, offset: int) -> tuple[Sequence[Role], int]:
        total = (await self.session.execute(select(func.count()).select_from(Role))).scalar_one()
        rows = (await self.session.execute(select(Role).order_by(Role.name).limit(limit).offset(offset))).scalars()
        return rows.all(), int(total)

    async def add(self, role: Role) -> None:
        self.session.add(role)
        await self.session.flush()

    async def delete(self, role: Role) -> None:
        await self.session.delete(role)
        await self.session.flush()

    async def permissions_of(self, role_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        stmt = (
            select(role_permissions.c.role_id, role_permissions.c.permission)
            .where(role_permissions.c.role_id.in_(list(role_ids)))
            .order_by(role_permissions.c.permission)
        )
        grants: dict[uuid.UUID, list[str]] = defaultdict(list)
        for role_id, permission in await self.session.execute(stmt):
            grants[role_id].append(permission)
        return grants

    async def set_permissions(self, role_id: uuid.UUID, permissions: Iterable[str]) -> None:
        await self.session.execute(delete(role_permissions).where(role_permissions.c.role_id == role_id))
        rows = [{"role_id": role_id, "permission": p} for p in sorted(set(permissions))]
        if rows:
            await self.session.execute(insert(role_permissions), rows)

    async def grant(self, role_id: uuid.UUID, permission: str) -> None:
        await self.session.execute(insert(role_permissions).values(role_id=role_id, permission=permission))

    async def user_count(self, role_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(user_roles).where(user_roles.c.role_id == role_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def grants_for_user(self, user_id: uuid.UUID) -> tuple[list[str], list[str]]:
        """The names of the user's roles and the union of their permissions."""
        stmt = (
            select(Role.name, role_permissions.c.permission)
            .select_from(user_roles)
            .join(Role, Role.id == user_roles.c.role_id)
            .outerjoin(role_permissions, role_permissions.c.role_id == Role.id)
            .where(user_roles.c.user_id == user_id)
        )
        roles: set[str] = set()
        permissions: set[str] = set()
        for role, permission in await self.session.execute(stmt):
            roles.add(role)
            if permission is not None:
                permissions.add(permission)
        return sorted(roles), sorted(permissions)


class PermissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[PermissionRow]:
        return (await self.session.execute(select(PermissionRow).order_by(PermissionRow.name))).scalars().all()

    async def names(self) -> set[str]:
        return set((await self.session.execute(select(PermissionRow.name))).scalars())

    async def add(self, name: str, description: str) -> None:
        self.session.add(PermissionRow(name=name, description=description))
        await self.session.flush()

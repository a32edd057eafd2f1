"""Roles are data: admins create, edit and delete them at run time. Built-in roles cannot be deleted, and ``admin``
keeps every permission (so nobody can lock the system out of its own administration)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.audit import service as audit
from auth_service.context import ClientInfo
from auth_service.db import utcnow
from auth_service.roles.builtin import ADMIN_ROLE
from auth_service.roles.models import Role
from auth_service.roles.repository import PermissionRepository, RoleRepository
from auth_service.roles.schemas import RoleCreate, RoleOut, RoleUpdate
from crm_common.errors import Conflict, NotFound, ValidationFailed
from crm_common.security.jwt import Principal


async def to_out(session: AsyncSession, roles: Sequence[Role]) -> list[RoleOut]:
    grants = await RoleRepository(session).permissions_of([r.id for r in roles])
    return [
        RoleOut(
            name=r.name,
            description=r.description,
            built_in=r.built_in,
            permissions=grants.get(r.id, []),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in roles
    ]


async def get_role(session: AsyncSession, name: str) -> Role:
    role = await RoleRepository(session).by_name(name)
    if role is None:
        raise NotFound("role not found")
    return role


async def _known(session: AsyncSession, permissions: Sequence[str]) -> list[str]:
    unknown = sorted(set(permissions) - await PermissionRepository(session).names())
    if unknown:
        raise ValidationFailed(f"unknown permissions: {', '.join(unknown)}")
    return sorted(set(permissions))


async def create_role(session: AsyncSession, actor: Principal, client: ClientInfo, data: RoleCreate) -> Role:
    permissions = await _known(session, data.permissions)
    roles = RoleRepository(session)
    if await roles.by_name(data.name) is not None:
        raise Conflict("a role with this name already exists")
    now = utcnow()
    role = Role(name=data.name, description=data.description, built_in=False, created_at=now, updated_at=now)
    await roles.add(role)
    await roles.set_permissions(role.id, permissions)
    details = {"description": data.description, "permissions": permissions}
    await audit.record(session, actor, client, "role.created", "role", role.name, details)
    return role


async def update_role(session: AsyncSession, actor: Principal, client: ClientInfo, name: str, data: RoleUpdate) -> Role:
    """Edit a role; users holding it get the new permissions from their next token refresh."""
    role = await get_role(session, name)
    roles = RoleRepository(session)
    changes: dict[str, object] = {}
    if data.permissions is not None:
        if role.name == ADMIN_ROLE:
            raise Conflict("the admin role always holds every permission")
        permissions = await _known(session, data.permissions)
        before = (await roles.permissions_of([role.id])).get(role.id, [])
        if permissions != before:
            await roles.set_permissions(role.id, permissions)
            changes["permissions"] = {"from": before, "to": permissions}
    if data.description is not None and data.description != role.description:
        changes["description"] = data.description
        role.description = data.description
    if changes:
        role.updated_at = utcnow()
        await audit.record(session, actor, client, "role.updated", "role", role.name, changes)
    return role


async def delete_role(session: AsyncSession, actor: Principal, client: ClientInfo, name: str) -> None:
    role = await get_role(session, name)
    if role.built_in:
        raise Conflict("built-in roles cannot be deleted")
    roles = RoleRepository(session)
    holders = await roles.user_count(role.id)
    await audit.record(session, actor, client, "role.deleted", "role", role.name, {"users_affected": holders})
    await roles.delete(role)

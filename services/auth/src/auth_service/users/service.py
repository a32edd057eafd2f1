"""Admin use cases on users: create, edit, deactivate, delete, assign roles, see and revoke sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.audit import service as audit
from auth_service.context import AuthContext, ClientInfo
from auth_service.db import utcnow
from auth_service.roles.repository import RoleRepository
from auth_service.sessions.models import UserSession
from auth_service.sessions.repository import SessionRepository
from auth_service.sessions.service import revoke_session, revoke_user_sessions
from auth_service.users.models import User
from auth_service.users.repository import UserRepository
from auth_service.users.schemas import UserCreate, UserOut, UserUpdate
from crm_common.errors import Conflict, NotFound, ValidationFailed
from crm_common.security.jwt import Principal


async def to_out(session: AsyncSession, users: Sequence[User]) -> list[UserOut]:
    names = await UserRepository(session).role_names([u.id for u in users])
    return [
        UserOut(
            id=u.id,
            email=u.email,
            is_active=u.is_active,
            roles=names.get(u.id, []),
            created_at=u.created_at,
            updated_at=u.updated_at,
            last_login_at=u.last_login_at,
        )
        for u in users
    ]


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("user not found")
    return user


async def _role_ids(session: AsyncSession, names: Sequence[str]) -> list[uuid.UUID]:
    roles = await RoleRepository(session).by_names(names)
    missing = sorted(set(names) - {r.name for r in roles})
    if missing:
        raise ValidationFailed(f"unknown roles: {', '.join(missing)}")
    return [r.id for r in roles]


async def create_user(
    session: AsyncSession, ctx: AuthContext, actor: Principal, client: ClientInfo, data: UserCreate
) -> User:
    ctx.check_password_policy(data.password, data.email)
    role_ids = await _role_ids(session, data.roles)
    users = UserRepository(session)
    if await users.by_email(data.email) is not None:
        raise Conflict("a user with this email already exists")
    now = utcnow()
    user = User(
        email=data.email,
        password_hash=await ctx.hasher.hash(data.password),
        is_active=data.is_active,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    try:
        async with session.begin_nested():
            await users.add(user)
    except IntegrityError as exc:
        raise Conflict("a user with this email already exists") from exc
    await users.set_roles(user.id, role_ids)
    details = {"email": user.email, "roles": sorted(data.roles), "is_active": user.is_active}
    await audit.record(session, actor, client, "user.created", "user", user.id, details)
    return user


def _refuse_self(actor: Principal, user: User, what: str) -> None:
    if str(user.id) == actor.user_id:
        raise Conflict(f"you cannot {what} your own account")


async def update_user(
    session: AsyncSession, ctx: AuthContext, actor: Principal, client: ClientInfo, user_id: uuid.UUID, data: UserUpdate
) -> User:
    user = await get_user(session, user_id)
    changes: dict[str, object] = {}
    if data.email is not None and data.email != user.email:
        if await UserRepository(session).by_email(data.email) is not None:
            raise Conflict("a user with this email already exists")
        changes["email"] = {"from": user.email, "to": data.email}
        user.email = data.email
    if data.is_active is not None and data.is_active != user.is_active:
        if not data.is_active:
            _refuse_self(actor, user, "deactivate")
            await revoke_user_sessions(session, ctx, user.id, "account deactivated")
        changes["is_active"] = data.is_active
        user.is_active = data.is_active
    if changes:
        user.updated_at = utcnow()
        await audit.record(session, actor, client, "user.updated", "user", user.id, changes)
    return user


async def delete_user(
    session: AsyncSession, ctx: AuthContext, actor: Principal, client: ClientInfo, user_id: uuid.UUID
) -> None:
    user = await get_user(session, user_id)
    _refuse_self(actor, user, "delete")
    await revoke_user_sessions(session, ctx, user.id, "account deleted")
    await audit.record(session, actor, client, "user.deleted", "user", user.id, {"email": user.email})
    await UserRepository(session).delete(user)


async def assign_roles(
    session: AsyncSession, actor: Principal, client: ClientInfo, user_id: uuid.UUID, roles: Sequence[str]
) -> User:
    """Replace the user's roles; their tokens carry the new permissions from their next refresh."""
    user = await get_user(session, user_id)
    users = UserRepository(session)
    before = (await users.role_names([user.id])).get(user.id, [])
    await users.set_roles(user.id, await _role_ids(session, roles))
    user.updated_at = utcnow()
    details = {"from": before, "to": sorted(set(roles))}
    await audit.record(session, actor, client, "user.roles_assigned", "user", user.id, details)
    return user


async def sessions_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[UserSession]:
    await get_user(session, user_id)
    return await SessionRepository(session).for_user(user_id)


async def revoke_one(
    session: AsyncSession,
    ctx: AuthContext,
    actor: Principal,
    client: ClientInfo,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
) -> None:
    user_session = await SessionRepository(session).get(session_id)
    if user_session is None or user_session.user_id != user_id:
        raise NotFound("session not found")
    if await revoke_session(ctx, user_session, "revoked by an admin"):
        await audit.record(session, actor, client, "session.revoked", "session", session_id, {"user_id": str(user_id)})


async def revoke_all(
    session: AsyncSession, ctx: AuthContext, actor: Principal, client: ClientInfo, user_id: uuid.UUID
) -> int:
    await get_user(session, user_id)
    count = await revoke_user_sessions(session, ctx, user_id, "revoked by an admin")
    await audit.record(session, actor, client, "session.revoked_all", "user", user_id, {"count": count})
    return count

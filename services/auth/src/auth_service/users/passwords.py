"""Password change (by the user) and reset (with a one-time token an admin issued)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.audit import service as audit
from auth_service.context import AuthContext, ClientInfo
from auth_service.db import utcnow
from auth_service.sessions.service import revoke_user_sessions
from auth_service.sessions.tokens import hash_token, new_opaque_token
from auth_service.users.models import PasswordResetToken, User
from auth_service.users.repository import PasswordResetRepository, UserRepository
from crm_common.errors import NotFound, Unauthorized, ValidationFailed
from crm_common.security.jwt import Principal


@dataclass(frozen=True)
class IssuedReset:
    token: str
    expires_at: datetime


async def set_password(ctx: AuthContext, user: User, new_password: str, now: datetime) -> None:
    ctx.check_password_policy(new_password, user.email)
    user.password_hash = await ctx.hasher.hash(new_password)
    user.password_changed_at = user.updated_at = now


async def change_password(
    session: AsyncSession, ctx: AuthContext, caller: Principal, current: str, new: str, client: ClientInfo
) -> None:
    user = await UserRepository(session).get(uuid.UUID(caller.user_id))
    if user is None or not user.is_active:
        raise Unauthorized("account not available")
    # Guessing the current password through this route is throttled like logins.
    await ctx.throttle.check(user.email, client.ip)
    if not await ctx.hasher.verify(user.password_hash, current):
        await ctx.throttle.record_failure(user.email, client.ip)
        raise ValidationFailed("current password is wrong")
    await set_password(ctx, user, new, utcnow())
    await revoke_user_sessions(session, ctx, user.id, "password changed", keep=uuid.UUID(caller.session_id))


async def issue_reset(
    session: AsyncSession, ctx: AuthContext, actor: Principal, user_id: uuid.UUID, client: ClientInfo
) -> IssuedReset:
    """A one-time reset token for ``user_id`` for an admin to hand over; earlier unused ones stop working."""
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("user not found")
    now = utcnow()
    resets = PasswordResetRepository(session)
    await resets.invalidate_for_user(user.id, now)
    token = new_opaque_token()
    expires_at = now + ctx.settings.password_reset_ttl
    await resets.add(
        PasswordResetToken(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=expires_at,
            created_by=uuid.UUID(actor.user_id),
        )
    )
    await audit.record(session, actor, client, "user.password_reset_issued", "user", user.id, {"email": user.email})
    return IssuedReset(token, expires_at)


async def reset_password(session: AsyncSession, ctx: AuthContext, token: str, new_password: str) -> None:
    now = utcnow()
    reset = await PasswordResetRepository(session).usable_for_update(hash_token(token), now)
    if reset is None:
        raise ValidationFailed("reset token is invalid or expired")
    user = await UserRepository(session).get(reset.user_id)
    if user is None:
        raise ValidationFailed("reset token is invalid or expired")
    await set_password(ctx, user, new_password, now)
    reset.used_at = now
    await revoke_user_sessions(session, ctx, user.id, "password reset")

"""Login, refresh-token rotation with reuse detection (OAuth 2.0 Security BCP §4.14), logout, session revocation."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.context import AuthContext, ClientInfo, normalize_email
from auth_service.db import utcnow
from auth_service.roles.repository import RoleRepository
from auth_service.sessions.models import UserSession
from auth_service.sessions.repository import SessionRepository
from auth_service.sessions.tokens import AccessToken, hash_token, issue_access_token, new_opaque_token
from auth_service.users.models import User
from auth_service.users.repository import UserRepository
from crm_common.errors import Unauthorized
from crm_common.logging import get_logger

log = get_logger(__name__)

INVALID_CREDENTIALS = "invalid email or password"
INVALID_REFRESH = "invalid refresh token"


@dataclass(frozen=True)
class TokenPair:
    access: AccessToken
    refresh_token: str
    session_id: uuid.UUID
    refresh_expires_at: datetime


@dataclass(frozen=True)
class ReuseDetected:
    """A rotated refresh token came back: its whole family has been revoked (the caller commits, then answers 401)."""

    session_id: uuid.UUID


async def login(session: AsyncSession, ctx: AuthContext, email: str, password: str, client: ClientInfo) -> TokenPair:
    """Check the credentials and open a session; one answer for unknown email, wrong password, inactive account."""
    email = normalize_email(email)
    await ctx.throttle.check(email, client.ip)
    user = await UserRepository(session).by_email(email)
    valid = await ctx.hasher.verify(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        await ctx.throttle.record_failure(email, client.ip)
        raise Unauthorized(INVALID_CREDENTIALS)
    await ctx.throttle.reset_account(email, client.ip)
    now = utcnow()
    if ctx.hasher.needs_rehash(user.password_hash):
        user.password_hash = await ctx.hasher.hash(password)
    user.last_login_at = now
    user_session = UserSession(
        user_id=user.id,
        user_agent=client.user_agent[:512],
        ip=client.ip[:64],
        created_at=now,
        last_used_at=now,
        expires_at=now + ctx.settings.refresh_token_ttl,
        access_expires_at=now,
    )
    await SessionRepository(session).add(user_session)
    return await _issue(session, ctx, user, user_session, now)


async def refresh(
    session: AsyncSession, ctx: AuthContext, refresh_token: str, client: ClientInfo
) -> TokenPair | ReuseDetected:
    """Trade a refresh token for a new pair; the old one is spent. Permissions are re-read from the roles now."""
    repo = SessionRepository(session)
    found = await repo.refresh_token_for_update(hash_token(refresh_token))
    if found is None:
        raise Unauthorized(INVALID_REFRESH)
    token, user_session = found
    now = utcnow()
    if user_session.revoked_at is not None or user_session.expires_at <= now:
        raise Unauthorized(INVALID_REFRESH)
    if token.rotated_at is not None:
        log.warning("refresh token reuse; revoking the session", session_id=str(user_session.id))
        await revoke_session(ctx, user_session, "refresh token reuse detected", now)
        return ReuseDetected(user_session.id)
    user = await UserRepository(session).get(user_session.user_id)
    if user is None or not user.is_active:
        await revoke_session(ctx, user_session, "account disabled", now)
        raise Unauthorized(INVALID_REFRESH)
    token.rotated_at = now
    user_session.last_used_at = now
    if client.ip:
        user_session.ip = client.ip[:64]
    return await _issue(session, ctx, user, user_session, now)


async def _issue(
    session: AsyncSession, ctx: AuthContext, user: User, user_session: UserSession, now: datetime
) -> TokenPair:
    roles, permissions = await RoleRepository(session).grants_for_user(user.id)
    s = ctx.settings
    access = issue_access_token(
        await ctx.keyring.signing_key(),
        issuer=s.jwt_issuer,
        audience=s.jwt_audience,
        ttl=s.access_token_ttl,
        now=now,
        user_id=user.id,
        session_id=user_session.id,
        email=user.email,
        roles=roles,
        permissions=permissions,
    )
    user_session.access_expires_at = max(user_session.access_expires_at, access.expires_at)
    refresh_token = new_opaque_token()
    await SessionRepository(session).add_refresh_token(hash_token(refresh_token), user_session.id)
    return TokenPair(access, refresh_token, user_session.id, user_session.expires_at)


def revocation_ttl(user_session: UserSession, now: datetime) -> int:
    """Seconds until the session's newest access token expires: how long the gateway must keep refusing it."""
    return max(1, math.ceil((user_session.access_expires_at - now).total_seconds()))


async def revoke_session(ctx: AuthContext, user_session: UserSession, reason: str, now: datetime | None = None) -> bool:
    """Revoke one session: no more refreshes, and its access tokens stop working at the gateway at once."""
    if user_session.revoked_at is not None:
        return False
    now = now or utcnow()
    user_session.revoked_at, user_session.revoked_reason = now, reason
    if user_session.access_expires_at > now:
        await ctx.revocations.revoke(str(user_session.id), revocation_ttl(user_session, now))
    return True


async def revoke_user_sessions(
    session: AsyncSession, ctx: AuthContext, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    now = utcnow()
    revoked = 0
    for user_session in await SessionRepository(session).for_user(user_id, active_only=True):
        if user_session.id != keep and await revoke_session(ctx, user_session, reason, now):
            revoked += 1
    return revoked


async def logout(session: AsyncSession, ctx: AuthContext, session_id: uuid.UUID) -> None:
    user_session = await SessionRepository(session).get(session_id)
    if user_session is not None:
        await revoke_session(ctx, user_session, "logout")

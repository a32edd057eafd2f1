"""``/api/v1/auth``: login, refresh, logout, me, password change and reset."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from auth_service.deps import Caller, Client, Context, DbSession
from auth_service.sessions import service
from auth_service.sessions.schemas import (
    LoginRequest,
    MeResponse,
    PasswordChangeRequest,
    PasswordResetRequest,
    RefreshRequest,
    TokenResponse,
)
from auth_service.users import passwords
from crm_common.db import transaction
from crm_common.errors import TooManyRequests, Unauthorized, ValidationFailed, error_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _tokens(pair: service.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access.token,
        expires_in=pair.access.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )


@router.post("/login", responses=error_responses(Unauthorized, TooManyRequests, ValidationFailed))
async def login(body: LoginRequest, session: DbSession, ctx: Context, client: Client) -> TokenResponse:
    """Exchange email and password for an access token and a refresh token."""
    return _tokens(await service.login(session, ctx, body.email, body.password, client))


@router.post("/refresh", responses=error_responses(Unauthorized, ValidationFailed))
async def refresh(body: RefreshRequest, ctx: Context, client: Client) -> TokenResponse:
    """Exchange a refresh token for a new pair; the token presented is spent."""
    # Own transaction: on reuse the family's revocation must commit even though the answer is 401.
    async with transaction(ctx.sessions) as session:
        outcome = await service.refresh(session, ctx, body.refresh_token, client)
    if isinstance(outcome, service.ReuseDetected):
        raise Unauthorized(service.INVALID_REFRESH)
    return _tokens(outcome)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(Unauthorized))
async def logout(caller: Caller, session: DbSession, ctx: Context) -> None:
    """End the caller's session: its refresh token and access tokens stop working at once."""
    await service.logout(session, ctx, uuid.UUID(caller.session_id))


@router.get("/me", responses=error_responses(Unauthorized))
async def me(caller: Caller) -> MeResponse:
    """Who the caller is and what they may do, as their access token says."""
    return MeResponse(
        id=uuid.UUID(caller.user_id),
        email=caller.email,
        roles=list(caller.roles),
        permissions=sorted(caller.permissions),
        session_id=uuid.UUID(caller.session_id),
        expires_at=caller.expires_at,
    )


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Unauthorized, TooManyRequests, ValidationFailed),
)
async def change_password(
    body: PasswordChangeRequest, caller: Caller, session: DbSession, ctx: Context, client: Client
) -> None:
    """Change the caller's password; every other session of theirs is revoked."""
    await passwords.change_password(session, ctx, caller, body.current_password, body.new_password, client)


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(ValidationFailed))
async def reset_password(body: PasswordResetRequest, session: DbSession, ctx: Context) -> None:
    """Set a new password with a one-time reset token an admin issued; every session is revoked."""
    await passwords.reset_password(session, ctx, body.token, body.new_password)

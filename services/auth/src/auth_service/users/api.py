"""``/api/v1/admin/users``: user administration (permission ``admin:users``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from auth_service.deps import Admin, Client, Context, DbSession
from auth_service.sessions.schemas import SessionOut
from auth_service.users import passwords, service
from auth_service.users.repository import UserRepository
from auth_service.users.schemas import (
    PasswordResetIssued,
    RolesAssignment,
    UserCreate,
    UserOut,
    UsersQuery,
    UserUpdate,
)
from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.web.pages import Page
from crm_common.web.query import QueryParameters

router = APIRouter(prefix="/api/v1/admin/users", tags=["admin: users"])
ERRORS = (Unauthorized, Forbidden, NotFound)
USERS_QUERY = QueryParameters(UsersQuery)


@router.get("", responses=error_responses(Unauthorized, Forbidden))
async def list_users(
    admin: Admin, session: DbSession, query: Annotated[UsersQuery, Depends(USERS_QUERY)]
) -> Page[UserOut]:
    """List users, filtered and sorted."""
    users, total = await UserRepository(session).page(
        limit=query.limit,
        offset=query.offset,
        email=query.email,
        is_active=query.is_active,
        sort=query.sort,
        descending=query.direction == "desc",
    )
    return Page(items=await service.to_out(session, users), total=total, limit=query.limit, offset=query.offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Unauthorized, Forbidden, Conflict, ValidationFailed),
)
async def create_user(body: UserCreate, admin: Admin, session: DbSession, ctx: Context, client: Client) -> UserOut:
    """Create a user with a password and roles."""
    user = await service.create_user(session, ctx, admin, client, body)
    return (await service.to_out(session, [user]))[0]


@router.get("/{user_id}", responses=error_responses(*ERRORS))
async def get_user(user_id: uuid.UUID, admin: Admin, session: DbSession) -> UserOut:
    """Show one user."""
    return (await service.to_out(session, [await service.get_user(session, user_id)]))[0]


@router.patch("/{user_id}", responses=error_responses(*ERRORS, Conflict))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: Admin, session: DbSession, ctx: Context, client: Client
) -> UserOut:
    """Change a user's email or activate/deactivate them (deactivation revokes their sessions)."""
    user = await service.update_user(session, ctx, admin, client, user_id, body)
    return (await service.to_out(session, [user]))[0]


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*ERRORS, Conflict))
async def delete_user(user_id: uuid.UUID, admin: Admin, session: DbSession, ctx: Context, client: Client) -> None:
    """Delete a user and revoke their sessions."""
    await service.delete_user(session, ctx, admin, client, user_id)


@router.put("/{user_id}/roles", responses=error_responses(*ERRORS, ValidationFailed))
async def assign_roles(
    user_id: uuid.UUID, body: RolesAssignment, admin: Admin, session: DbSession, client: Client
) -> UserOut:
    """Replace a user's roles; the new permissions apply from their next token refresh."""
    user = await service.assign_roles(session, admin, client, user_id, body.roles)
    return (await service.to_out(session, [user]))[0]


@router.post("/{user_id}/password-reset", status_code=status.HTTP_201_CREATED, responses=error_responses(*ERRORS))
async def issue_password_reset(
    user_id: uuid.UUID, admin: Admin, session: DbSession, ctx: Context, client: Client
) -> PasswordResetIssued:
    """Issue a one-time password reset token for the user (for `POST /api/v1/auth/password/reset`)."""
    issued = await passwords.issue_reset(session, ctx, admin, user_id, client)
    return PasswordResetIssued(reset_token=issued.token, expires_at=issued.expires_at)


@router.get("/{user_id}/sessions", responses=error_responses(*ERRORS))
async def list_sessions(user_id: uuid.UUID, admin: Admin, session: DbSession) -> list[SessionOut]:
    """List a user's sessions, newest first."""
    return [SessionOut.model_validate(s) for s in await service.sessions_of(session, user_id)]


@router.delete(
    "/{user_id}/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*ERRORS)
)
async def revoke_session(
    user_id: uuid.UUID, session_id: uuid.UUID, admin: Admin, session: DbSession, ctx: Context, client: Client
) -> None:
    """Revoke one of a user's sessions; its tokens stop working at once."""
    await service.revoke_one(session, ctx, admin, client, user_id, session_id)


@router.delete("/{user_id}/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*ERRORS))
async def revoke_sessions(user_id: uuid.UUID, admin: Admin, session: DbSession, ctx: Context, client: Client) -> None:
    """Revoke every session of a user."""
    await service.revoke_all(session, ctx, admin, client, user_id)

"""FastAPI dependencies shared by the auth routers: the unit of work, the caller, the client's address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.context import AuthContext, ClientInfo
from crm_common.db import transaction
from crm_common.security.jwt import Principal
from crm_common.security.permissions import Permission, current_principal, require_permission


def auth_context(request: Request) -> AuthContext:
    ctx: AuthContext = request.app.state.auth
    return ctx


async def _unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed before the response is sent, rolled back if the route raises."""
    async with transaction(auth_context(request).sessions) as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]
Context = Annotated[AuthContext, Depends(auth_context)]


def client_info(request: Request) -> ClientInfo:
    # Behind the gateway uvicorn's proxy_headers (trusted hosts only) has already put the real client here.
    ip = request.client.host if request.client else ""
    return ClientInfo(
        ip=ip,
        user_agent=request.headers.get("user-agent", "")[:512],
        request_id=getattr(request.state, "request_id", None),
    )


Client = Annotated[ClientInfo, Depends(client_info)]


async def authenticated(principal: Principal = Depends(current_principal)) -> Principal:
    """A verified caller whose session has not been revoked (``current_principal`` asks Redis, uncached in auth)."""
    return principal


Caller = Annotated[Principal, Depends(authenticated)]


Admin = Annotated[Principal, Depends(require_permission(Permission.ADMIN_USERS))]

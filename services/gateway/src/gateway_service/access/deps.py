"""Dependencies for the gateway's own routes: the same token, revocation and permission checks as proxied ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from crm_common.security import Permission, Principal
from crm_common.security.permissions import bearer
from gateway_service.access.authn import authorize


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        principal = await request.app.state.gateway.authenticator.authenticate(request)
        authorize(principal, frozenset({str(permission)}))
        return principal

    return dependency

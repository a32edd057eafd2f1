"""FastAPI dependencies: who is calling, and may they do this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crm_common.errors import Forbidden, ServiceUnavailable, Unauthorized
from crm_common.security.jwt import Principal, TokenVerifier
from crm_common.security.revocation import SessionCheck
from crm_common.security.verified import verify_remembered


class Permission(StrEnum):
    """The permission catalog (docs/architecture.md, "Permissions"). Services may declare more; auth serves all."""

    PRODUCTS_READ = "products:read"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    ANALYTICS_READ = "analytics:read"
    CUSTOMERS_WRITE = "customers:write"
    NOTIFICATIONS_READ = "notifications:read"
    ADMIN_USERS = "admin:users"
    ADMIN_INTEGRATIONS = "admin:integrations"
    SYNC_RUN = "sync:run"
    ADMIN_HEALTH = "admin:health"
    ADMIN_DEAD_LETTERS = "admin:dead-letters"


bearer = HTTPBearer(auto_error=False, description="Access token from `POST /api/v1/auth/login`.")


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The verified caller of a live session; 401 without a valid bearer token or if the session was revoked."""
    return await _verified_caller(request, credentials)


class _PermissionRequired(HTTPBearer):
    """``require_permission``'s dependency. A bearer security scheme itself (FastAPI's ``HTTPBearer``, named as
    ``bearer`` is), so the OpenAPI document names the scheme on every route that has it, as before, while FastAPI
    solves one dependency level a request instead of two (the scheme's own was nested under the check: ~10 µs of
    CPU a request, measured in one process on a route of the same shape; issue #16)."""

    def __init__(self, permission: str) -> None:
        super().__init__(auto_error=False, scheme_name=bearer.scheme_name, description=bearer.model.description)
        self.needed = permission

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        principal = await _verified_caller(request, await super().__call__(request))
        if not principal.can(self.needed):
            raise Forbidden(f"permission {self.needed!r} required")
        return principal


def require_permission(permission: str | Permission) -> Callable[..., Awaitable[Principal]]:
    """Dependency that lets the call through only if the caller holds ``permission``.

    It checks the caller itself rather than depending on ``current_principal``: FastAPI solves each level of nested
    dependencies on every request, ~25 µs of CPU a level measured in one process (issue #16), and every authorized
    route of every service has this one."""
    return _PermissionRequired(str(permission))


async def _verified_caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verify_remembered(verifier, credentials.credentials)
    check: SessionCheck | None = getattr(request.app.state, "session_check", None)
    if check is None:  # a service wired without the check refuses rather than trusting revoked tokens
        raise ServiceUnavailable("session revocation check is not configured")
    await check.ensure_live(principal)
    request.state.principal = principal
    return principal

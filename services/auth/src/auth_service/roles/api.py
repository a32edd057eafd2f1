"""``/api/v1/admin/roles`` and ``/api/v1/admin/permissions`` (permission ``admin:users``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from auth_service.deps import Admin, Client, DbSession
from auth_service.roles import service
from auth_service.roles.repository import PermissionRepository, RoleRepository
from auth_service.roles.schemas import PermissionOut, RoleCreate, RoleOut, RolesQuery, RoleUpdate
from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.web.pages import Page
from crm_common.web.query import QueryParameters

router = APIRouter(prefix="/api/v1/admin", tags=["admin: roles"])
AUTHZ = (Unauthorized, Forbidden)
ROLES_QUERY = QueryParameters(RolesQuery)


@router.get("/permissions", responses=error_responses(*AUTHZ))
async def list_permissions(admin: Admin, session: DbSession) -> list[PermissionOut]:
    """List the permission catalog."""
    return [PermissionOut.model_validate(p) for p in await PermissionRepository(session).all()]


@router.get("/roles", responses=error_responses(*AUTHZ))
async def list_roles(
    admin: Admin, session: DbSession, query: Annotated[RolesQuery, Depends(ROLES_QUERY)]
) -> Page[RoleOut]:
    """List roles with their permissions, by name."""
    roles, total = await RoleRepository(session).page(query.limit, query.offset)
    return Page(items=await service.to_out(session, roles), total=total, limit=query.limit, offset=query.offset)


@router.post(
    "/roles", status_code=status.HTTP_201_CREATED, responses=error_responses(*AUTHZ, Conflict, ValidationFailed)
)
async def create_role(body: RoleCreate, admin: Admin, session: DbSession, client: Client) -> RoleOut:
    """Create a role from catalog permissions."""
    return (await service.to_out(session, [await service.create_role(session, admin, client, body)]))[0]


@router.get("/roles/{name}", responses=error_responses(*AUTHZ, NotFound))
async def get_role(name: str, admin: Admin, session: DbSession) -> RoleOut:
    """Show one role."""
    return (await service.to_out(session, [await service.get_role(session, name)]))[0]


@router.patch("/roles/{name}", responses=error_responses(*AUTHZ, NotFound, Conflict, ValidationFailed))
async def update_role(name: str, body: RoleUpdate, admin: Admin, session: DbSession, client: Client) -> RoleOut:
    """Edit a role's description or permissions; holders see the change after their next refresh."""
    return (await service.to_out(session, [await service.update_role(session, admin, client, name, body)]))[0]


@router.delete(
    "/roles/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*AUTHZ, NotFound, Conflict)
)
async def delete_role(name: str, admin: Admin, session: DbSession, client: Client) -> None:
    """Delete a role that is not built in; its holders lose it."""
    await service.delete_role(session, admin, client, name)

"""The permissions auth serves (with descriptions), the built-in roles, and their share of permissions added later."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.roles.repository import PermissionRepository, RoleRepository
from crm_common.security.permissions import Permission

DESCRIPTIONS: dict[str, str] = {
    Permission.PRODUCTS_READ: "Read products and the catalog",
    Permission.INVENTORY_READ: "Read stock levels",
    Permission.INVENTORY_WRITE: "Change stock settings",
    Permission.ANALYTICS_READ: "Read reports and analytics",
    Permission.CUSTOMERS_WRITE: "Merge and split customers across sources",
    Permission.NOTIFICATIONS_READ: "Read notifications and alerts",
    Permission.ADMIN_USERS: "Manage users, roles and sessions",
    Permission.ADMIN_INTEGRATIONS: "Manage integrations (MoySklad accounts)",
    Permission.SYNC_RUN: "Start a synchronisation",
    Permission.ADMIN_HEALTH: "See service health",
    Permission.ADMIN_DEAD_LETTERS: "Read, re-drive and discard dead letters (they hold raw business data)",
}

ADMIN_ROLE = "admin"
BUILT_IN_ROLES = ("admin", "manager", "viewer")


def built_in_grants(role: str, permission: str) -> bool:
    """Whether a built-in role receives ``permission`` when it first appears in the catalog."""
    if role == "admin":
        return True
    is_read = permission.endswith(":read")
    if role == "manager":
        return is_read or permission in (Permission.SYNC_RUN, Permission.CUSTOMERS_WRITE)
    return role == "viewer" and is_read


async def sync_permissions(session: AsyncSession) -> list[str]:
    """Add permissions the code declares but the database lacks; grant them to built-in roles by their rule.

    Permissions already in the database are left alone, so edits admins made to built-in roles survive restarts.
    """
    perms, roles = PermissionRepository(session), RoleRepository(session)
    known = await perms.names()
    added = [p.value for p in Permission if p.value not in known]
    built_in = await roles.by_names(BUILT_IN_ROLES)
    for name in added:
        await perms.add(name, DESCRIPTIONS.get(name, ""))
        for role in built_in:
            if built_in_grants(role.name, name):
                await roles.grant(role.id, name)
    return added

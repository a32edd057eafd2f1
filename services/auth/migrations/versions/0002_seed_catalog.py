"""seed the permission catalog and the built-in roles admin, manager, viewer

The lists are frozen here on purpose (a migration must not change meaning when code changes); permissions declared
later are added by ``auth_service.roles.builtin.sync_permissions``, run by ``crm-auth migrate`` and at start-up.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "auth"
PERMISSIONS = {
    "products:read": "Read products and the catalog",
    "inventory:read": "Read stock levels",
    "inventory:write": "Change stock settings",
    "analytics:read": "Read reports and analytics",
    "notifications:read": "Read notifications and alerts",
    "admin:users": "Manage users, roles and sessions",
    "admin:integrations": "Manage integrations (MoySklad accounts)",
    "sync:run": "Start a synchronisation",
    "admin:health": "See service health",
}
READS = [p for p in PERMISSIONS if p.endswith(":read")]
ROLES = {
    "admin": ("Everything", list(PERMISSIONS)),
    "manager": ("All reads and running a synchronisation", [*READS, "sync:run"]),
    "viewer": ("Read-only access", READS),
}

permissions = sa.table(
    "permissions",
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    schema=S,
)
roles = sa.table(
    "roles",
    sa.column("id", sa.Uuid),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("built_in", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    schema=S,
)
role_permissions = sa.table(
    "role_permissions", sa.column("role_id", sa.Uuid), sa.column("permission", sa.String), schema=S
)


def upgrade() -> None:
    now = datetime.now(UTC)
    op.bulk_insert(permissions, [{"name": n, "description": d, "created_at": now} for n, d in PERMISSIONS.items()])
    for name, (description, granted) in ROLES.items():
        role_id = uuid.uuid4()
        op.bulk_insert(
            roles,
            [
                {
                    "id": role_id,
                    "name": name,
                    "description": description,
                    "built_in": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        op.bulk_insert(role_permissions, [{"role_id": role_id, "permission": p} for p in granted])


def downgrade() -> None:
    op.execute(roles.delete().where(roles.c.built_in.is_(True)))
    op.execute(permissions.delete().where(permissions.c.name.in_(list(PERMISSIONS))))

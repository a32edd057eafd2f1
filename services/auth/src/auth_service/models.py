"""Imports every model so ``Base.metadata`` is complete (for Alembic and tests)."""

from auth_service.audit.models import AuditEntry
from auth_service.db import Base
from auth_service.deadletters.models import DeadLetterDisposition
from auth_service.keys.models import SigningKeyRow
from auth_service.roles.models import PermissionRow, Role, role_permissions
from auth_service.sessions.models import RefreshToken, UserSession
from auth_service.users.models import PasswordResetToken, User, user_roles

__all__ = [
    "AuditEntry",
    "Base",
    "DeadLetterDisposition",
    "PasswordResetToken",
    "PermissionRow",
    "RefreshToken",
    "Role",
    "SigningKeyRow",
    "User",
    "UserSession",
    "role_permissions",
    "user_roles",
]

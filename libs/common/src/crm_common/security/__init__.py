"""JWT verification, the authenticated principal, permission checks and session revocation."""

from crm_common.security.jwt import JWKSKeySource, Principal, StaticKeySource, TokenVerifier
from crm_common.security.permissions import Permission, current_principal, require_permission

__all__ = [
    "JWKSKeySource",
    "Permission",
    "Principal",
    "StaticKeySource",
    "TokenVerifier",
    "current_principal",
    "require_permission",
]

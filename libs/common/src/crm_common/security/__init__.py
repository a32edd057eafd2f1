"""JWT verification, the authenticated principal, permission checks and session revocation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_common.security.jwt import JWKSKeySource, Principal, StaticKeySource, TokenVerifier

if TYPE_CHECKING:
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
_WEB_PARTS = {"Permission", "current_principal", "require_permission"}


def __getattr__(name: str) -> Any:
    """The FastAPI parts load on first use, so verifying a token needs no ``web`` extra (README, "Packages")."""
    if name in _WEB_PARTS:
        from crm_common.security import permissions

        return getattr(permissions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Access tokens (JWT, RFC 9068-style claims) and opaque refresh/reset tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from auth_service.keys.crypto import SigningKey


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: datetime
    expires_in: int


def issue_access_token(
    key: SigningKey,
    *,
    issuer: str,
    audience: str,
    ttl: timedelta,
    now: datetime,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    email: str,
    roles: Iterable[str],
    permissions: Iterable[str],
) -> AccessToken:
    issued = int(now.timestamp())
    expires = issued + int(ttl.total_seconds())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "nbf": issued,
        "exp": expires,
        "email": email,
        "roles": sorted(roles),
        "permissions": sorted(permissions),
    }
    token = jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid})
    return AccessToken(token=token, expires_at=datetime.fromtimestamp(expires, now.tzinfo), expires_in=expires - issued)


def new_opaque_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough to store them (no need for a slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()

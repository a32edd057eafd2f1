"""Access tokens the way auth signs them (docs/architecture.md, "Permissions"), from a key the test owns."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crm_common.security import StaticKeySource, TokenVerifier
from crm_testing.waiting import eventually

KID = "test-key"


class TokenMint:
    """An Ed25519 key the test owns, the verifier that trusts it, and access tokens signed with it."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.verifier = TokenVerifier(
            StaticKeySource({KID: self.key.public_key()}), algorithm="EdDSA", issuer="crm-auth", audience="crm-api"
        )

    def token(self, *permissions: str, user: str = "user-1", ttl: int = 300) -> str:
        now = int(time.time())
        claims = {
            "iss": "crm-auth",
            "aud": "crm-api",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "sub": user,
            "sid": str(uuid.uuid4()),
            "jti": str(uuid.uuid4()),
            "permissions": list(permissions),
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})

    def headers(self, *permissions: str, user: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions, user=user)}"}


async def assert_logout_refused(client: Any, path: str, token: str, redis_url: str) -> None:
    """The service itself refuses ``token`` once its session is revoked the way auth's logout revokes it.

    ``client`` is an ``httpx.AsyncClient`` talking to the service directly (not through the gateway). The token must
    work first, so a 401 afterwards is the revocation's doing; the service may trust its cached "live" answer for
    ``REVOCATION_CACHE_SECONDS`` (1 s by default), hence the short wait.
    """
    from redis.asyncio import Redis

    from crm_common.security.revocation import RevocationStore

    headers = {"Authorization": f"Bearer {token}"}
    before = await client.get(path, headers=headers)
    assert before.status_code == 200, before.text
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    redis = Redis.from_url(redis_url)
    try:
        await RevocationStore(redis).revoke(sid, 60)
    finally:
        await redis.aclose()

    async def refused() -> Any:
        response = await client.get(path, headers=headers)
        return response if response.status_code != 200 else None

    after = await eventually(refused, timeout=5.0)
    assert after.status_code == 401, after.text
    assert after.json() == {"error": "Unauthorized", "detail": "session has been revoked"}

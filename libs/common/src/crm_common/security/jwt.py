"""Access-token verification used by the gateway and by every service (defence in depth).

Only the configured asymmetric algorithm is accepted. The algorithm is never taken from the token: a token with
``alg: none``, an HMAC algorithm (the HS/RS confusion attack, RFC 8725 §2.1), an unknown ``kid``, a bad signature, a
wrong ``aud``/``iss``, an expired or not-yet-valid token is rejected with 401.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK

from crm_common.errors import Unauthorized
from crm_common.logging import get_logger

log = get_logger(__name__)

ASYMMETRIC = {"EdDSA", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384"}
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "nbf", "sub", "sid", "jti"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    session_id: str
    token_id: str
    permissions: frozenset[str]
    expires_at: datetime
    email: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


class KeySource(Protocol):
    async def get(self, kid: str) -> Any: ...


class StaticKeySource:
    """Keys known in advance: ``{kid: public key or JWK dict}``."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self._keys = {kid: PyJWK(k).key if isinstance(k, dict) else k for kid, k in keys.items()}

    async def get(self, kid: str) -> Any:
        return self._keys.get(kid)


class JWKSKeySource:
    """Public keys from the auth service's JWKS, cached, refetched when an unknown ``kid`` shows up.

    A refetch for an unknown kid happens at most once per ``min_refetch_seconds`` so that forged kids cannot make us
    hammer the auth service.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: int = 300,
        min_refetch_seconds: float = 5.0,
        timeout_seconds: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url, self.cache_seconds, self.min_refetch = url, cache_seconds, min_refetch_seconds
        self.timeout = timeout_seconds  # for the client made here; a given client brings its own
        self._client = client
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")  # never: the first get fetches, however recently the host booted
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        client = self._client or httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await client.get(self.url)
            response.raise_for_status()
            self._keys = _signing_keys(response.json().get("keys", []))
            self._fetched_at = time.monotonic()
        finally:
            if self._client is None:
                await client.aclose()

    async def get(self, kid: str) -> Any:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self.cache_seconds:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (kid not in self._keys and age >= self.min_refetch) or age >= self.cache_seconds:
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                    # Count the attempt too: while auth is down, forged or new kids must not trigger a fetch each.
                    self._fetched_at = time.monotonic()
                    log.warning("jwks fetch failed", url=self.url, error=repr(exc)[:200])
        return self._keys.get(kid)


def _signing_keys(jwks: list[dict[str, Any]]) -> dict[str, Any]:
    """Usable signature keys by kid; a key we cannot parse, or one meant for encryption, is skipped, not fatal."""
    keys: dict[str, Any] = {}
    for jwk in jwks:
        if not isinstance(jwk, dict) or "kid" not in jwk or jwk.get("use", "sig") != "sig":
            continue
        try:
            keys[jwk["kid"]] = PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            log.warning("jwks key skipped", kid=jwk.get("kid"), error=repr(exc)[:200])
    return keys


class TokenVerifier:
    def __init__(self, keys: KeySource, *, algorithm: str, issuer: str, audience: str, leeway: int = 0) -> None:
        if algorithm not in ASYMMETRIC:
            raise ValueError(f"access tokens must use an asymmetric algorithm, not {algorithm!r}")
        self.keys, self.algorithm, self.issuer, self.audience, self.leeway = keys, algorithm, issuer, audience, leeway

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed access token") from exc
        if header.get("alg") != self.algorithm:
            raise Unauthorized("access token algorithm not accepted")
        kid = header.get("kid")
        key = await self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized("access token signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("access token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("access token not yet valid") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"access token rejected: {exc}") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    return Principal(
        user_id=str(claims["sub"]),
        session_id=str(claims["sid"]),
        token_id=str(claims["jti"]),
        permissions=frozenset(claims.get("permissions", [])),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        email=claims.get("email"),
        roles=tuple(claims.get("roles", [])),
    )

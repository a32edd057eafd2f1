"""Authenticate a proxied request: bearer token, then the session revocation list in Redis."""

from __future__ import annotations

from starlette.requests import Request

from crm_common.errors import Forbidden, ServiceUnavailable, Unauthorized
from crm_common.logging import get_logger
from crm_common.security import Principal, TokenVerifier
from crm_common.security.revocation import RevocationStore
from crm_common.security.verified import VerifiedTokens
from gateway_service.access.redis_guard import RedisBreaker, RedisUnavailable

log = get_logger(__name__)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return token.strip()


class Authenticator:
    def __init__(
        self, verifier: TokenVerifier, revocations: RevocationStore, breaker: RedisBreaker, *, fail_open: bool
    ) -> None:
        self.verifier, self.revocations, self.breaker, self.fail_open = verifier, revocations, breaker, fail_open
        self.verified = VerifiedTokens()

    async def verify(self, token: str) -> Principal:
        principal = self.verified.get(token)
        if principal is None:
            principal = await self.verifier.verify(token)
            self.verified.put(token, principal)
        return principal

    async def verify_request(self, request: Request) -> Principal:
        """The caller the bearer token names, signature and claims checked; revocation is the guard's part."""
        principal = await self.verify(bearer_token(request))
        request.state.principal = principal
        return principal

    async def authenticate(self, request: Request) -> Principal:
        """The verified caller of a live session; 401 otherwise, 503 if revocation is unknown and we fail closed."""
        principal = await self.verify(bearer_token(request))
        try:
            revoked = await self.breaker.call(lambda: self.revocations.is_revoked(principal.session_id))
        except RedisUnavailable as exc:
            if not self.fail_open:
                raise ServiceUnavailable("session revocation cannot be checked right now; retry shortly") from exc
            log.warning("revocation unchecked, redis down", session_id=principal.session_id)
            revoked = False
        if revoked:
            raise Unauthorized("session has been revoked")
        request.state.principal = principal
        return principal


def authorize(principal: Principal, any_of: frozenset[str]) -> None:
    """403 unless the caller holds one of ``any_of`` (an empty set means any authenticated caller)."""
    if any_of and not any(principal.can(p) for p in any_of):
        raise Forbidden(f"permission {' or '.join(sorted(any_of))!r} required")

"""``crm_common.security.jwt`` against the JWKS auth publishes, plus keys a JWKS may legally carry."""

from __future__ import annotations

import httpx
from auth_testkit import client_for

from auth_service.context import AuthContext
from crm_common.security.jwt import JWKSKeySource

JWKS = "/api/v1/auth/.well-known/jwks.json"
# An X25519 key-agreement key (RFC 8037 appendix A.6): legal in a JWKS, unusable for signatures.
ENCRYPTION_KEY = {"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo", "kid": "enc-1"}


async def test_one_unusable_key_in_the_jwks_does_not_break_verification(ctx: AuthContext, app: object) -> None:
    async with client_for(app) as client:  # type: ignore[arg-type]
        published = (await client.get(JWKS)).json()["keys"]
    jwks = {"keys": [*published, ENCRYPTION_KEY]}
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=jwks)))
    source = JWKSKeySource("http://auth.test/jwks.json", client=http)

    kid = (await ctx.keyring.signing_key()).kid

    assert await source.get(kid) is not None

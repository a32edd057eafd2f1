"""A service checks a token's signature once, then remembers it briefly; never past the token's expiry."""

from __future__ import annotations

import time
from typing import Any

import pytest

from crm_common.errors import Unauthorized
from crm_common.security.jwt import Principal, TokenVerifier
from crm_common.security.verified import VerifiedTokens, verify_remembered
from crm_testing import TokenMint


class Counting(TokenVerifier):
    def __init__(self, inner: TokenVerifier) -> None:
        self.inner, self.calls = inner, 0

    async def verify(self, token: str) -> Principal:
        self.calls += 1
        return await self.inner.verify(token)


async def test_the_same_token_is_verified_once() -> None:
    mint = TokenMint()
    verifier = Counting(mint.verifier)
    token = mint.token("products:read")
    first = await verify_remembered(verifier, token)
    assert await verify_remembered(verifier, token) == first
    await verify_remembered(verifier, mint.token("products:read"))
    assert verifier.calls == 2


async def test_a_forged_token_is_refused_every_time() -> None:
    mint, other = TokenMint(), TokenMint()
    verifier = Counting(mint.verifier)
    forged = other.token("products:read")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verify_remembered(verifier, forged)
    assert verifier.calls == 2


async def test_a_remembered_token_is_forgotten_at_its_expiry(monkeypatch: Any) -> None:
    mint = TokenMint()
    principal = await mint.verifier.verify(mint.token("products:read", ttl=60))
    verified = VerifiedTokens(ttl=3600)
    verified.put("t", principal)
    assert verified.get("t") == principal
    later = principal.expires_at.timestamp() + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert verified.get("t") is None

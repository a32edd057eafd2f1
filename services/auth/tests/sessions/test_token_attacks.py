"""Attacks on access tokens, made from tokens this service issues, against ``crm_common``'s ``TokenVerifier``.

Each forged token goes through both the shared verifier directly and ``GET /api/v1/auth/me``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from auth_testkit import login, make_user
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from httpx import AsyncClient

from auth_service.context import AuthContext
from auth_service.keys.crypto import generate_private_key, make_signing_key
from crm_common.errors import Unauthorized
from crm_common.security.jwt import TokenVerifier


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _header(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


async def _resign(ctx: AuthContext, claims: dict[str, Any], **header: Any) -> str:
    """Sign ``claims`` with the service's real current key (as if the issuer made a mistake)."""
    key = await ctx.keyring.signing_key()
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, **header})


@pytest.fixture
async def token(ctx: AuthContext, client: AsyncClient) -> str:
    user = await make_user(ctx, ["viewer"])
    access: str = (await login(client, user.email))["access_token"]
    return access


@pytest.fixture
def verifier(ctx: AuthContext) -> TokenVerifier:
    return TokenVerifier(ctx.keyring, algorithm="EdDSA", issuer="crm-auth", audience="crm-api")


async def _assert_rejected(verifier: TokenVerifier, client: AsyncClient, forged: str, reason: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(forged)
    assert reason in caught.value.detail
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_the_genuine_token_is_accepted(verifier: TokenVerifier, token: str) -> None:
    assert (await verifier.verify(token)).session_id == _claims(token)["sid"]


async def test_alg_none_is_rejected(verifier: TokenVerifier, client: AsyncClient, token: str) -> None:
    claims = {**_claims(token), "permissions": ["admin:users"]}
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': _header(token)['kid']})}.{_b64(claims)}."

    await _assert_rejected(verifier, client, forged, "algorithm not accepted")


async def test_hmac_signed_with_the_public_key_is_rejected(
    ctx: AuthContext, verifier: TokenVerifier, client: AsyncClient, token: str
) -> None:
    """HS/RS key confusion (RFC 8725 §2.1): HMAC keyed with the published public key."""
    key = await ctx.keyring.signing_key()
    public_bytes = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_b64(_claims(token))}".encode()
    import hashlib
    import hmac

    signature = _b64(hmac.new(public_bytes, signing_input, hashlib.sha256).digest())
    forged = f"{signing_input.decode()}.{signature}"

    await _assert_rejected(verifier, client, forged, "algorithm not accepted")


async def test_a_token_signed_with_another_algorithm_is_rejected(
    ctx: AuthContext, verifier: TokenVerifier, client: AsyncClient, token: str
) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(token), rsa_key, algorithm="RS256", headers={"kid": _header(token)["kid"]})

    await _assert_rejected(verifier, client, forged, "algorithm not accepted")


async def test_an_unknown_kid_is_rejected(verifier: TokenVerifier, client: AsyncClient, token: str) -> None:
    attacker = make_signing_key(generate_private_key("EdDSA"), "EdDSA")
    forged = jwt.encode(_claims(token), attacker.private_key, algorithm="EdDSA", headers={"kid": attacker.kid})

    await _assert_rejected(verifier, client, forged, "unknown key")


async def test_a_missing_kid_is_rejected(
    ctx: AuthContext, verifier: TokenVerifier, client: AsyncClient, token: str
) -> None:
    key = await ctx.keyring.signing_key()
    forged = jwt.encode(_claims(token), key.private_key, algorithm="EdDSA")

    await _assert_rejected(verifier, client, forged, "unknown key")


async def test_a_real_kid_with_a_foreign_signature_is_rejected(
    verifier: TokenVerifier, client: AsyncClient, token: str
) -> None:
    attacker = generate_private_key("EdDSA")
    claims = {**_claims(token), "permissions": ["admin:users"]}
    forged = jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": _header(token)["kid"]})

    await _assert_rejected(verifier, client, forged, "Signature verification failed")


async def test_tampered_claims_break_the_signature(verifier: TokenVerifier, client: AsyncClient, token: str) -> None:
    header, _, signature = token.split(".")
    claims = {**_claims(token), "permissions": ["admin:users"]}
    forged = f"{header}.{_b64(claims)}.{signature}"

    await _assert_rejected(verifier, client, forged, "Signature verification failed")


Mutation = Callable[[dict[str, Any]], None]


def _set(**values: Any) -> Mutation:
    return lambda claims: claims.update(values)


def _drop(name: str) -> Mutation:
    return lambda claims: claims.pop(name)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        pytest.param(_set(exp=int(time.time()) - 300), "expired", id="expired"),
        pytest.param(_set(nbf=int(time.time()) + 600), "not yet valid", id="not-yet-valid"),
        pytest.param(_set(aud="someone-else"), "rejected", id="wrong-audience"),
        pytest.param(_set(iss="https://evil.example"), "rejected", id="wrong-issuer"),
        pytest.param(_drop("exp"), "rejected", id="no-exp"),
        pytest.param(_drop("sid"), "rejected", id="no-sid"),
        pytest.param(_drop("aud"), "rejected", id="no-aud"),
        pytest.param(_drop("nbf"), "rejected", id="no-nbf"),
    ],
)
async def test_claims_are_checked(
    ctx: AuthContext, verifier: TokenVerifier, client: AsyncClient, token: str, mutate: Mutation, reason: str
) -> None:
    claims = _claims(token)
    mutate(claims)

    await _assert_rejected(verifier, client, await _resign(ctx, claims), reason)


async def test_garbage_is_rejected(verifier: TokenVerifier, client: AsyncClient) -> None:
    await _assert_rejected(verifier, client, "not.a.jwt", "malformed")


async def test_a_token_from_a_revoked_session_is_rejected_by_auth(
    ctx: AuthContext, client: AsyncClient, token: str
) -> None:
    await ctx.revocations.revoke(_claims(token)["sid"], 60)

    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401

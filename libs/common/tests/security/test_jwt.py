"""Token attacks the verifier must refuse (RFC 8725), and the one token shape it accepts."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from crm_common.errors import Unauthorized
from crm_common.security.jwt import StaticKeySource, TokenVerifier

ISS, AUD = "crm-auth", "crm-api"
KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "sub": "u1",
        "sid": "s1",
        "jti": "j1",
        "permissions": ["products:read"],
    }
    return {**base, **overrides}


def sign(payload: dict[str, Any], key: Any = KEY, kid: str = "k1", alg: str = "EdDSA") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(StaticKeySource({"k1": KEY.public_key()}), algorithm="EdDSA", issuer=ISS, audience=AUD)


async def test_valid_token_gives_principal_with_permissions(verifier: TokenVerifier) -> None:
    principal = await verifier.verify(sign(claims()))
    assert principal.user_id == "u1"
    assert principal.session_id == "s1"
    assert principal.can("products:read")
    assert not principal.can("admin:users")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_alg_none_is_rejected(verifier: TokenVerifier) -> None:
    token = f"{_b64({'alg': 'none', 'kid': 'k1', 'typ': 'JWT'})}.{_b64(claims())}."
    with pytest.raises(Unauthorized, match="algorithm"):
        await verifier.verify(token)


async def test_hs256_signed_with_the_public_key_is_rejected(verifier: TokenVerifier) -> None:
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "kid": "k1", "typ": "JWT"})
    body = _b64(claims())
    import hashlib
    import hmac

    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(Unauthorized, match="algorithm"):
        await verifier.verify(token)


async def test_rs256_token_is_rejected_when_eddsa_is_configured(verifier: TokenVerifier) -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthorized):
        await verifier.verify(sign(claims(), key=rsa, alg="RS256"))


async def test_unknown_kid_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match="unknown key"):
        await verifier.verify(sign(claims(), kid="nope"))


async def test_signature_by_another_key_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match="rejected"):
        await verifier.verify(sign(claims(), key=OTHER_KEY))


async def test_tampered_payload_is_rejected(verifier: TokenVerifier) -> None:
    header, _, signature = sign(claims()).split(".")
    forged = _b64(claims(permissions=["admin:users"]))
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{forged}.{signature}")


async def test_expired_token_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(sign(claims(exp=int(time.time()) - 5)))


async def test_not_yet_valid_token_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match="not yet valid"):
        await verifier.verify(sign(claims(nbf=int(time.time()) + 120)))


@pytest.mark.parametrize(("field", "value"), [("aud", "someone-else"), ("iss", "evil")])
async def test_wrong_audience_or_issuer_is_rejected(verifier: TokenVerifier, field: str, value: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(sign(claims(**{field: value})))


@pytest.mark.parametrize("missing", ["sid", "jti", "exp", "sub"])
async def test_token_missing_a_required_claim_is_rejected(verifier: TokenVerifier, missing: str) -> None:
    payload = claims()
    del payload[missing]
    with pytest.raises(Unauthorized):
        await verifier.verify(sign(payload))


def test_symmetric_algorithm_cannot_be_configured() -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(StaticKeySource({}), algorithm="HS256", issuer=ISS, audience=AUD)


async def test_every_claim_of_the_principal_comes_from_the_token(verifier: TokenVerifier) -> None:
    token = sign(claims(exp=2_000_000_000, jti="j9", email="a@b.ru", roles=["admin", "viewer"]))
    principal = await verifier.verify(token)
    assert principal.token_id == "j9"
    assert principal.permissions == frozenset({"products:read"})
    assert principal.expires_at == datetime(2033, 5, 18, 3, 33, 20, tzinfo=UTC)
    assert principal.expires_at.tzinfo is UTC
    assert (principal.email, principal.roles) == ("a@b.ru", ("admin", "viewer"))


async def test_optional_claims_default_to_nothing(verifier: TokenVerifier) -> None:
    payload = claims()
    del payload["permissions"]
    principal = await verifier.verify(sign(payload))
    assert (principal.permissions, principal.email, principal.roles) == (frozenset(), None, ())


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (lambda: "not-a-token", "malformed access token"),
        (lambda: sign(claims(), alg="EdDSA", kid="nope"), "access token signed with an unknown key"),
        (lambda: jwt.encode(claims(), KEY, algorithm="EdDSA"), "access token signed with an unknown key"),  # no kid
        (lambda: sign(claims(exp=int(time.time()) - 5)), "access token expired"),
        (lambda: sign(claims(nbf=int(time.time()) + 120)), "access token not yet valid"),
        (lambda: f"{_b64({'alg': 'none', 'kid': 'k1'})}.{_b64(claims())}.", "access token algorithm not accepted"),
    ],
)
async def test_each_refusal_says_why(verifier: TokenVerifier, token: Any, detail: str) -> None:
    with pytest.raises(Unauthorized, match=rf"^{detail}$"):
        await verifier.verify(token())


async def test_without_leeway_a_token_is_expired_at_its_exp_second(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match=r"^access token expired$"):
        await verifier.verify(sign(claims(exp=int(time.time()))))


async def test_a_configured_leeway_accepts_a_token_that_just_expired() -> None:
    lenient = TokenVerifier(
        StaticKeySource({"k1": KEY.public_key()}), algorithm="EdDSA", issuer=ISS, audience=AUD, leeway=60
    )
    assert (await lenient.verify(sign(claims(exp=int(time.time()) - 10)))).user_id == "u1"

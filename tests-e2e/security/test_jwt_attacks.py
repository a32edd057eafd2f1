"""Forged and altered access tokens are refused with 401 by the gateway AND by every service directly (defence in
depth: docs/architecture.md, "Only the gateway is public. Services verify JWTs themselves as well").

The tier holds auth's signing key (AUTH_SIGNING_KEY_PEM), so each forgery differs from a token that works in
exactly one respect; ``test_a_correctly_minted_token_is_accepted_everywhere`` proves the control token passes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sec_harness import ALL_PERMISSIONS, SecuritySystem

# One protected read per process, (service, path); "gateway" goes through the routing table.
TARGETS = [
    ("gateway", "/api/v1/products/"),
    ("gateway", "/api/v1/admin/users"),
    ("auth", "/api/v1/auth/me"),
    ("auth", "/api/v1/admin/users"),
    ("catalog", "/api/v1/products/"),
    ("inventory", "/api/v1/inventory/stores"),
    ("analytics", "/api/v1/analytics/alerts"),
    ("moysklad-connector", "/api/v1/admin/sync/jobs"),
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compose(header: dict[str, Any], claims: dict[str, Any], signer: Callable[[bytes], bytes] | None = None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    signature = signer(signing_input) if signer else b""
    return f"{signing_input.decode()}.{b64(signature)}"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "crm-auth",
        "aud": "crm-api",
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "email": "forger@sec.example.com",
        "roles": ["admin"],
        "permissions": sorted(ALL_PERMISSIONS),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(sec: SecuritySystem, payload: dict[str, Any], *, key: Ed25519PrivateKey | None = None, **header: Any) -> str:
    return jwt.encode(payload, key or sec.secrets.signing_key, algorithm="EdDSA", headers={"kid": sec.kid, **header})


def hs256_with(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def public_key_forms(sec: SecuritySystem) -> dict[str, bytes]:
    public = sec.secrets.signing_key.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = public.public_bytes_raw()
    return {"pem": pem, "raw": raw, "x": b64(raw).encode()}


def attacks(sec: SecuritySystem) -> dict[str, str]:
    now = int(time.time())
    keys = public_key_forms(sec)
    stranger = Ed25519PrivateKey.generate()
    real = sign(sec, claims())
    head, body, signature = real.split(".")
    boosted = claims(permissions=sorted(ALL_PERMISSIONS | {"superuser"}))
    hs = {"alg": "HS256", "typ": "JWT", "kid": sec.kid}
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[0] ^= 1
    return {
        "alg none": compose({"alg": "none", "typ": "JWT", "kid": sec.kid}, claims()),
        "alg None": compose({"alg": "None", "kid": sec.kid}, claims()),
        "alg none with a signature": compose({"alg": "none", "kid": sec.kid}, claims(), lambda d: b"x" * 64),
        "HS256 keyed with the public key (PEM)": compose(hs, claims(), hs256_with(keys["pem"])),
        "HS256 keyed with the public key (raw)": compose(hs, claims(), hs256_with(keys["raw"])),
        "HS256 keyed with the JWK x": compose(hs, claims(), hs256_with(keys["x"])),
        "RS256 header on an EdDSA signature": compose({"alg": "RS256", "kid": sec.kid}, claims(), lambda d: b"\0" * 64),
        "expired ten minutes ago": sign(sec, claims(iat=now - 1500, nbf=now - 1500, exp=now - 600)),
        "not valid for ten minutes": sign(sec, claims(nbf=now + 600, exp=now + 1200)),
        "tampered payload, original signature": f"{head}.{b64(json.dumps(boosted).encode())}.{signature}",
        "tampered signature": f"{head}.{body}.{b64(bytes(flipped))}",
        "signature stripped": f"{head}.{body}.",
        "wrong audience": sign(sec, claims(aud="another-api")),
        "audience list without ours": sign(sec, claims(aud=["another-api", "crm-api-x"])),
        "wrong issuer": sign(sec, claims(iss="https://evil.example.com")),
        "unknown kid": sign(sec, claims(), key=stranger, kid=f"unknown-{uuid.uuid4().hex[:8]}"),
        "another key under the real kid": sign(sec, claims(), key=stranger),
        "own key embedded as jwk": jwt.encode(
            claims(),
            stranger,
            algorithm="EdDSA",
            headers={
                "kid": "embedded",
                "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64(stranger.public_key().public_bytes_raw())},
            },
        ),
        "jku pointing elsewhere": sign(sec, claims(), key=stranger, kid="remote", jku="http://127.0.0.1:9/jwks.json"),
        "kid path traversal": sign(sec, claims(), key=stranger, kid="../../../../../../dev/null"),
        "no kid": jwt.encode(claims(), sec.secrets.signing_key, algorithm="EdDSA"),
        "missing sid": sign(sec, claims(sid=None)),
        "missing exp": sign(sec, claims(exp=None)),
        "not a JWT": "not.a.jwt",
        "empty segments": "..",
    }


ATTACK_NAMES = [
    "alg none",
    "alg None",
    "alg none with a signature",
    "HS256 keyed with the public key (PEM)",
    "HS256 keyed with the public key (raw)",
    "HS256 keyed with the JWK x",
    "RS256 header on an EdDSA signature",
    "expired ten minutes ago",
    "not valid for ten minutes",
    "tampered payload, original signature",
    "tampered signature",
    "signature stripped",
    "wrong audience",
    "audience list without ours",
    "wrong issuer",
    "unknown kid",
    "another key under the real kid",
    "own key embedded as jwk",
    "jku pointing elsewhere",
    "kid path traversal",
    "no kid",
    "missing sid",
    "missing exp",
    "not a JWT",
    "empty segments",
]


def call(sec: SecuritySystem, service: str, path: str, authorization: str | None) -> httpx.Response:
    headers = {"authorization": authorization} if authorization is not None else {}
    with sec.client(sec.url(service)) as c:
        return c.get(path, headers=headers)


def test_the_attack_list_is_complete(sec: SecuritySystem) -> None:
    assert sorted(attacks(sec)) == sorted(ATTACK_NAMES)


def test_a_correctly_minted_token_is_accepted_everywhere(sec: SecuritySystem) -> None:
    """The control: the same construction with nothing altered passes every target (so a 401 below means refused)."""
    token = sign(sec, claims())
    for service, path in TARGETS:
        response = call(sec, service, path, f"Bearer {token}")
        assert response.status_code == 200, (service, path, response.status_code, response.text[:300])


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_forged_tokens_are_refused_by_the_gateway_and_every_service(sec: SecuritySystem, name: str) -> None:
    token = attacks(sec)[name]
    wrong: list[tuple[str, str, object, object]] = []
    for service, path in TARGETS:
        response = call(sec, service, path, f"Bearer {token}")
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 401 or set(body) != {"error", "detail"}:
            wrong.append((service, path, response.status_code, response.text[:200]))
        elif response.headers.get("www-authenticate", "").lower() != "bearer":
            wrong.append((service, path, "no WWW-Authenticate: Bearer", dict(response.headers)))
    assert not wrong, f"{name}: accepted or answered wrongly by {wrong}"


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic YWRtaW46YWRtaW4=", "Token abc", "Bearer a b"])
def test_missing_or_malformed_authorization_is_refused(sec: SecuritySystem, authorization: str | None) -> None:
    answers = {(s, p): call(sec, s, p, authorization).status_code for s, p in TARGETS}
    assert set(answers.values()) == {401}, answers

"""Signing-key material: generation, JWK form and RFC 7638 thumbprints, encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
SUPPORTED_ALGORITHMS = ("EdDSA", "RS256")
_NONCE_BYTES = 12


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: PrivateKey
    public_jwk: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(f"cannot sign with {algorithm!r}; supported: {', '.join(SUPPORTED_ALGORITHMS)}")


def thumbprint_members(private_key: PrivateKey) -> dict[str, str]:
    """The required public members of the JWK, the input of its RFC 7638 thumbprint."""
    public = private_key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    numbers = public.public_numbers()
    return {"e": _int_b64url(numbers.e), "kty": "RSA", "n": _int_b64url(numbers.n)}


def thumbprint(members: dict[str, str]) -> str:
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def make_signing_key(private_key: PrivateKey, algorithm: str) -> SigningKey:
    members = thumbprint_members(private_key)
    kid = thumbprint(members)
    jwk = {**members, "kid": kid, "alg": algorithm, "use": "sig"}
    return SigningKey(kid=kid, algorithm=algorithm, private_key=private_key, public_jwk=jwk)


def load_pem(pem: str, algorithm: str) -> SigningKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if algorithm == "EdDSA" and not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("AUTH_SIGNING_KEY_PEM must be an Ed25519 private key for EdDSA")
    if algorithm == "RS256" and not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("AUTH_SIGNING_KEY_PEM must be an RSA private key for RS256")
    assert isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey)
    return make_signing_key(key, algorithm)


def _wrapping_key(secret_key: str) -> bytes:
    """A key for this one purpose derived from SECRET_KEY (HKDF, RFC 5869), never SECRET_KEY itself."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crm-auth/signing-keys/v1", info=b"aes-256-gcm")
    return hkdf.derive(secret_key.encode())


def encrypt_private_key(private_key: PrivateKey, kid: str, secret_key: str) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = os.urandom(_NONCE_BYTES)
    # The kid is authenticated data: a ciphertext moved to another row does not decrypt.
    return nonce + AESGCM(_wrapping_key(secret_key)).encrypt(nonce, der, kid.encode())


def decrypt_private_key(ciphertext: bytes, kid: str, secret_key: str) -> PrivateKey:
    nonce, body = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
    der = AESGCM(_wrapping_key(secret_key)).decrypt(nonce, body, kid.encode())
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey)
    return key

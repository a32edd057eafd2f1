from __future__ import annotations

import asyncio
from datetime import timedelta

import jwt
import pytest
from auth_testkit import client_for, login, make_user
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update

from auth_service.context import AuthContext
from auth_service.db import utcnow
from auth_service.keys.crypto import decrypt_private_key, generate_private_key, make_signing_key
from auth_service.keys.models import SigningKeyRow
from auth_service.keys.service import KeyRing, create_key
from auth_service.main import main
from auth_service.settings import AuthSettings
from crm_common.db import transaction
from crm_common.security.jwt import TokenVerifier

JWKS = "/api/v1/auth/.well-known/jwks.json"


async def _published_kids(app: FastAPI) -> set[str]:
    async with client_for(app) as client:
        return {k["kid"] for k in (await client.get(JWKS)).json()["keys"]}


async def test_rotate_keys_command_rotates_without_breaking_live_tokens(
    ctx: AuthContext, app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await make_user(ctx, ["viewer"])
    async with client_for(app) as client:
        old_token = (await login(client, user.email))["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    await asyncio.to_thread(main, ["rotate-keys"])
    await ctx.keyring.reload()

    new_kid = (await ctx.keyring.signing_key()).kid
    assert new_kid != old_kid
    assert new_kid in capsys.readouterr().out
    assert {old_kid, new_kid} <= await _published_kids(app)
    async with client_for(app) as client:
        new_token = (await login(client, user.email))["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    verifier = TokenVerifier(ctx.keyring, algorithm="EdDSA", issuer="crm-auth", audience="crm-api")
    assert (await verifier.verify(old_token)).user_id == str(user.id)
    assert (await verifier.verify(new_token)).user_id == str(user.id)


async def test_a_key_superseded_longer_than_the_grace_period_is_no_longer_published(
    ctx: AuthContext, app: FastAPI, settings: AuthSettings
) -> None:
    async with transaction(ctx.sessions) as session:
        old = await create_key(session, settings)
        await create_key(session, settings)
        stale = utcnow() - settings.key_publish_grace - timedelta(seconds=1)
        await session.execute(update(SigningKeyRow).where(SigningKeyRow.kid == old.kid).values(superseded_at=stale))
    await ctx.keyring.reload()

    assert old.kid not in await _published_kids(app)
    assert await ctx.keyring.get(old.kid) is None


async def test_private_keys_are_encrypted_at_rest_with_a_key_derived_from_secret_key(
    ctx: AuthContext, settings: AuthSettings
) -> None:
    async with transaction(ctx.sessions) as session:
        key = await create_key(session, settings)
        row = await session.get(SigningKeyRow, key.kid)
    assert row is not None
    raw = key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw not in row.private_key_ciphertext
    secret = settings.secret_key.get_secret_value()
    assert decrypt_private_key(row.private_key_ciphertext, key.kid, secret).public_key() == key.private_key.public_key()
    with pytest.raises(InvalidTag):
        decrypt_private_key(row.private_key_ciphertext, key.kid, "another-secret")
    with pytest.raises(InvalidTag):
        decrypt_private_key(row.private_key_ciphertext, "another-kid", secret)
    await ctx.keyring.reload()


async def test_a_pem_key_from_settings_signs_and_is_published(ctx: AuthContext, settings: AuthSettings) -> None:
    private = generate_private_key("EdDSA")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ring = KeyRing(ctx.sessions, settings.model_copy(update={"signing_key_pem": SecretStr(pem)}))

    signing = await ring.signing_key()

    assert signing.kid == make_signing_key(private, "EdDSA").kid
    assert signing.kid in {k["kid"] for k in await ring.public_jwks()}


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
    from auth_service.keys.crypto import thumbprint

    members = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(members) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

"""Credentials at rest and webhook tokens: what is stored cannot be read without the key, and tokens name one
integration."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from crm_integration.credentials import SecretBox
from crm_integration.webhooks import token_matches, webhook_secret, webhook_token, webhook_url

SECRET_KEY = SecretStr("a-secret-key-of-the-service")


def test_a_secret_round_trips_and_is_not_stored_in_clear() -> None:
    box = SecretBox.from_keys(None, SECRET_KEY, "bitrix24-credentials")
    stored = box.encrypt("webhook-code-123")
    assert b"webhook-code-123" not in stored
    assert box.decrypt(stored) == "webhook-code-123"


def test_two_purposes_derive_two_keys_from_one_secret_key() -> None:
    stored = SecretBox.from_keys(None, SECRET_KEY, "moysklad-credentials").encrypt("pw")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox.from_keys(None, SECRET_KEY, "bitrix24-credentials").decrypt(stored)


def test_an_explicit_key_wins_over_the_derived_one() -> None:
    key = Fernet.generate_key()
    stored = SecretBox.from_keys(SecretStr(key.decode()), SECRET_KEY, "x").encrypt("pw")
    assert SecretBox(key).decrypt(stored) == "pw"


def test_a_webhook_token_matches_only_its_own_integration() -> None:
    secret = webhook_secret(None, SECRET_KEY, "source-webhooks")
    token = webhook_token(secret, "shop-1")
    assert token_matches(secret, "shop-1", token)
    assert not token_matches(secret, "shop-2", token)
    assert not token_matches(secret, "shop-1", None)
    assert not token_matches(webhook_secret(SecretStr("other"), SECRET_KEY, "source-webhooks"), "shop-1", token)


def test_the_webhook_url_carries_the_integration_and_its_token() -> None:
    secret = webhook_secret(None, SECRET_KEY, "source-webhooks")
    assert webhook_url(None, secret, "shop-1") is None
    url = webhook_url("https://crm.example/hook?v=1", secret, "shop-1")
    assert url == f"https://crm.example/hook?v=1&integration=shop-1&token={webhook_token(secret, 'shop-1')}"

"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from moysklad_connector.settings import ConnectorSettings


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: ConnectorSettings) -> SecretBox:
        """``CONNECTOR_CREDENTIALS_KEY`` if set, else a key derived from ``SECRET_KEY`` (never stored anywhere)."""
        if settings.credentials_key is not None:
            return cls(settings.credentials_key.get_secret_value().encode())
        digest = hashlib.sha256(b"moysklad-credentials|" + settings.secret_key.get_secret_value().encode()).digest()
        return cls(base64.urlsafe_b64encode(digest))

    def encrypt(self, plain: str) -> bytes:
        return self._fernet.encrypt(plain.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("stored credentials cannot be decrypted with the configured key") from exc

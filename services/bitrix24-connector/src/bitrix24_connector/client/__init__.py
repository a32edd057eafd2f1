"""The Bitrix24 REST client over the kit's paced client."""

from bitrix24_connector.client.errors import (
    AuthenticationFailed,
    Bitrix24Error,
    Bitrix24Unavailable,
    OperationTimeLimit,
)
from bitrix24_connector.client.http import PAGE, Bitrix24Client, Envelope, PacingConfig, portal_of

__all__ = [
    "PAGE",
    "AuthenticationFailed",
    "Bitrix24Client",
    "Bitrix24Error",
    "Bitrix24Unavailable",
    "Envelope",
    "OperationTimeLimit",
    "PacingConfig",
    "portal_of",
]

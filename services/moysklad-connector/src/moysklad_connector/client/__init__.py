"""The one async HTTP client for MoySklad JSON API 1.2."""

from moysklad_connector.client.errors import AuthenticationFailed, MoySkladError, MoySkladUnavailable
from moysklad_connector.client.http import Credentials, ListPage, MoySkladClient, PacingConfig

__all__ = [
    "AuthenticationFailed",
    "Credentials",
    "ListPage",
    "MoySkladClient",
    "MoySkladError",
    "MoySkladUnavailable",
    "PacingConfig",
]

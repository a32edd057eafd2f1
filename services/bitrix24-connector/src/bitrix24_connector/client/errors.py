"""What the Bitrix24 client raises. Every error body is ``{"error", "error_description"}`` (docs/bitrix24.md,
"Errors"); method errors of the CRM methods are HTTP 400 with an empty ``error``."""

from __future__ import annotations

from typing import Any


class Bitrix24Error(Exception):
    """An answer that must not be retried, or retries exhausted."""

    def __init__(self, status: int, code: str, description: str, method: str = "") -> None:
        label = code or "method error"
        super().__init__(f"Bitrix24 answered {status} ({label}) to {method or 'a call'}: {description}")
        self.status, self.code, self.description, self.method = status, code, description, method


class AuthenticationFailed(Bitrix24Error):
    """401 ``NO_AUTH_FOUND`` (wrong webhook code) or ``expired_token``; 403 ``insufficient_scope``."""


class Bitrix24Unavailable(Bitrix24Error):
    """503 ``QUERY_LIMIT_EXCEEDED``, 5xx or transport failures that outlived every retry."""


class OperationTimeLimit(Bitrix24Error):
    """429 ``OPERATION_TIME_LIMIT``: this method used its time budget; other methods keep working."""


def parse_error_body(body: Any) -> tuple[str, str]:
    """``(error, error_description)``, or a generic text when the body is not the documented shape."""
    if isinstance(body, dict) and ("error" in body or "error_description" in body):
        return str(body.get("error") or ""), str(body.get("error_description") or "")
    return "", "no error body"


def error_for(status: int, body: Any, method: str) -> Bitrix24Error:
    code, description = parse_error_body(body)
    if status in (401, 403) or code in ("NO_AUTH_FOUND", "expired_token", "insufficient_scope", "INVALID_CREDENTIALS"):
        return AuthenticationFailed(status, code, description, method)
    if status == 429 or code == "OPERATION_TIME_LIMIT":
        return OperationTimeLimit(status, code, description, method)
    return Bitrix24Error(status, code, description, method)

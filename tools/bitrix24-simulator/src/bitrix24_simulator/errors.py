"""Bitrix24 error bodies ``{"error", "error_description"}`` and the exception that carries them.

Statuses and codes follow https://apidocs.bitrix24.com/error-codes.html (system errors) and each method's page
(method errors: an empty ``error`` code with a description, HTTP 400).
"""

from __future__ import annotations

from typing import Any


class B24Error(Exception):
    """An error answered as ``{"error": code, "error_description": description}`` with the given HTTP status."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}


def method_error(description: str) -> B24Error:
    """A method-level error: the documented pages show HTTP 400 with an empty code."""
    return B24Error(400, "", description)


def not_found() -> B24Error:
    return method_error("Not found")


def bad_id() -> B24Error:
    return method_error("ID is not defined or invalid.")


def must_be_array(parameter: str) -> B24Error:
    return method_error(f"Parameter '{parameter}' must be array.")


def method_not_found() -> B24Error:
    # Not on the error-codes page; this is what portals answer for an unknown method.
    return B24Error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def wrong_auth() -> B24Error:
    return B24Error(401, "NO_AUTH_FOUND", "Wrong authorization data")


def expired() -> B24Error:
    return B24Error(401, "expired_token", "The access token provided has expired")


def query_limit() -> B24Error:
    return B24Error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


def operation_time_limit(method: str) -> B24Error:
    return B24Error(429, "OPERATION_TIME_LIMIT", f"Method is blocked due to operation time limit: {method}")


def internal() -> B24Error:
    return B24Error(500, "INTERNAL_SERVER_ERROR", "Internal server error")

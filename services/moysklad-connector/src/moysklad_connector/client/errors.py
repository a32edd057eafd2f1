"""What the MoySklad client raises.

The body shape is ``{"errors": [{"error", "code", ...}]}`` (docs/moysklad.md, "Rate limits and errors").
"""

from __future__ import annotations

from typing import Any


class MoySkladError(Exception):
    """A 4xx answer that must not be retried (docs/moysklad.md, "Requests"), or retries exhausted."""

    def __init__(self, status: int, message: str, code: int | None = None, url: str = "") -> None:
        super().__init__(f"MoySklad answered {status}" + (f" (code {code})" if code else "") + f": {message}")
        self.status, self.code, self.message, self.url = status, code, message, url


class AuthenticationFailed(MoySkladError):
    """401: wrong login, password or token (code 1056), or too many failed attempts (1048)."""


class MoySkladUnavailable(MoySkladError):
    """429/5xx/transport failures that outlived every retry."""


def parse_error_body(body: Any) -> tuple[str, int | None]:
    """The first error's text and code, or a generic text when the body is not the documented shape."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            code = first.get("code")
            return str(first.get("error") or first.get("error_message") or "error"), code if isinstance(
                code, int
            ) else None
    return "no error body", None

"""The one error hierarchy of the project and the uniform ``{"error", "detail"}`` body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str
    detail: str


class AppError(Exception):
    """A failure a client may see; ``status_code`` is the HTTP status it maps to."""

    status_code: int = 500

    def __init__(self, detail: str, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code

    @property
    def error(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, str]:
        return {"error": self.error, "detail": self.detail}


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class ValidationFailed(AppError):
    status_code = 422


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503


class InfrastructureMissing(RuntimeError):
    """A service could not reach a piece of infrastructure it needs at start-up."""

    def __init__(self, part: str, where: str, reason: str) -> None:
        super().__init__(f"{part} is not reachable at {where}: {reason}")
        self.part, self.where, self.reason = part, where, reason


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route, so clients see the errors it can answer with."""
    return {e.status_code: {"model": ErrorBody, "description": e.__name__} for e in errors}

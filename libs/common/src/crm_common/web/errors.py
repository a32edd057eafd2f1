"""One handler renders every error as ``{"error": "ClassName", "detail": "..."}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm_common.errors import AppError, TooManyRequests
from crm_common.logging import get_logger

try:  # the `database` extra; a service without it has no database errors to render (README, "Packages")
    from sqlalchemy.exc import DataError, DBAPIError
except ModuleNotFoundError:

    class DataError(Exception):  # type: ignore[no-redef]
        """Stands in for SQLAlchemy's where SQLAlchemy is not installed: never raised."""

    class DBAPIError(Exception):  # type: ignore[no-redef]
        """Stands in for SQLAlchemy's where SQLAlchemy is not installed: never raised."""


log = get_logger(__name__)

_HTTP_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
}


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        if exc.status_code == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"error": "ValidationError", "detail": _validation_detail(exc)}, status_code=422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
        return JSONResponse(
            {"error": name, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def unacceptable_value(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "ValidationError", "detail": _unacceptable(exc)}, status_code=422)

    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        if _is_bad_value(exc):
            return await unacceptable_value(request, exc)
        log.exception("unhandled error", path=request.url.path)
        return JSONResponse({"error": "InternalError", "detail": "internal server error"}, status_code=500)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, unacceptable_value)
    app.add_exception_handler(OverflowError, unacceptable_value)
    app.add_exception_handler(Exception, unhandled)


def _is_bad_value(exc: Exception) -> bool:
    """A value the database refused as data (SQLSTATE class 22: out of range, NUL in text, bad encoding), or one
    asyncpg could not even encode (an integer beyond bigint): the client sent it, so it is a 422, not a 500."""
    if isinstance(exc, DataError | OverflowError):
        return True
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return bool(sqlstate and str(sqlstate).startswith("22")) or "DataError" in type(orig).__name__


def _unacceptable(exc: Exception) -> str:
    if isinstance(exc, OverflowError):
        return "a value is outside the range this endpoint can compute with"
    return "a value is out of range or contains characters that cannot be stored (e.g. NUL)"

"""How every MoySklad response is written: orjson, hrefs on the client's base URL, gzip (docs/moysklad.md,
"Requests")."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from fastapi import Request, Response

from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.model import CANONICAL_BASE

API_PREFIX = "/api/remap/1.2"
CONTENT_TYPE = "application/json;charset=utf-8"
_CANONICAL = CANONICAL_BASE.encode()


def public_base(request: Request) -> str:
    """The base URL rendered into hrefs: the configured one, else the one the client called."""
    configured = request.app.state.settings.public_base_url
    if configured:
        return str(configured).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{API_PREFIX}"


def encode(request: Request, payload: Any) -> bytes:
    body = orjson.dumps(payload)
    base = public_base(request)
    return body if base == CANONICAL_BASE else body.replace(_CANONICAL, base.encode())


def respond(request: Request, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A gzip-compressed JSON response with MoySklad's content type."""
    body = gzip.compress(encode(request, payload), compresslevel=1, mtime=0)
    all_headers = {"Content-Encoding": "gzip", **(headers or {})}
    return Response(body, status_code=status, media_type=CONTENT_TYPE, headers=all_headers)


def respond_error(request: Request, error: MoySkladError) -> Response:
    return respond(request, error.body(), error.status)


def empty(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An empty-bodied response (single DELETE answers 200 with no body; docs/moysklad.md, "Collections")."""
    return Response(b"", status_code=status, headers=headers)

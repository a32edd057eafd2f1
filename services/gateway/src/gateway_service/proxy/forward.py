"""Forward one request to its upstream and stream the answer back.

Request bodies are streamed to the upstream, except small bodies, which are read first so that the request can be sent
again if the connection to the upstream fails before an answer:
- an idempotent request is sent again after any connection failure (an upstream restarting, a reset);
- any other request is sent again only when it went out on a pooled keep-alive connection and the upstream closed that
  connection before a single byte of an answer. That is the keep-alive race (an upstream that closed the connection
  after an error, or on its idle timeout, while the gateway was reusing it), where the upstream never read the request.
  On a new connection the same failure is ambiguous (the upstream may have read and acted on it): such a request is
  never sent twice, and the client gets 502.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import cache, partial
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from crm_common.errors import PayloadTooLarge, ServiceUnavailable
from crm_common.logging import get_logger
from gateway_service.errors import BadGateway, GatewayTimeout
from gateway_service.proxy.headers import downstream_response_headers, upstream_request_headers
from gateway_service.proxy.upstream import (
    ConnectFailed,
    ConnectTimeout,
    Disconnected,
    PoolExhausted,
    UpstreamConnection,
    UpstreamError,
    UpstreamPool,
)
from gateway_service.routing.table import Route
from gateway_service.web.metrics import UPSTREAM_ERRORS

log = get_logger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REPLAYABLE_BODY_BYTES = 64 * 1024
RETRY_PAUSE = 0.05
# Answers up to this size with a Content-Length are relayed as one body message rather than chunk by chunk.
SINGLE_MESSAGE_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    pass


class UpstreamResponse(Response):
    """Relays an upstream answer chunk by chunk; hands the connection back (or closes it) whatever happens to the
    client."""

    def __init__(
        self,
        upstream: UpstreamConnection,
        raw_headers: list[tuple[bytes, bytes]],
        *,
        read_timeout: float,
        release: Callable[[], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.upstream, self.read_timeout, self.release, self.on_error = upstream, read_timeout, release, on_error
        self.status_code = upstream.status
        self.raw_headers = raw_headers
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            length = self.upstream.content_length
            if scope.get("method") == "HEAD":
                pass
            elif length is not None and length <= SINGLE_MESSAGE_BYTES:
                # A small body of declared length goes out in one message (one trip through the middleware).
                body = await self.upstream.read_all(self.read_timeout)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            else:
                while (chunk := await self.upstream.read(self.read_timeout)) is not None:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (UpstreamError, TimeoutError) as exc:
            # Too late for a 502: the status line is out. Dropping the connection tells the client it is incomplete.
            self.on_error(exc)
            raise
        finally:
            self.release()


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk


# Safe to send again: no connection was made, or it broke (an upstream restarting, a reset, a pooled keep-alive
# connection the upstream had just closed).
RETRYABLE = (ConnectFailed, Disconnected)


@cache
def _address(upstream: str) -> tuple[str, int, bytes, bytes]:
    """Host, port, ``Host`` header and path prefix of an upstream base URL (``http://catalog:8002``; the settings
    admit plain HTTP only)."""
    parts = urlsplit(upstream)
    assert parts.hostname is not None
    return parts.hostname, parts.port or 80, parts.netloc.encode("latin-1"), parts.path.rstrip("/").encode("latin-1")


class Forwarder:
    def __init__(self, pool: UpstreamPool, *, max_body_bytes: int, retries: int, timeout: float) -> None:
        # ``timeout`` bounds the request going out and the status line, and then each wait for a piece of the body.
        self.pool, self.max_body, self.retries, self.timeout = pool, max_body_bytes, retries, timeout

    async def forward(self, request: Request, route: Route) -> Response:
        scope = request.scope
        host, port, host_header, prefix = _address(route.upstream)
        query = scope.get("query_string", b"")
        target = prefix + scope["raw_path"] + (b"?" + query if query else b"")  # the path goes byte for byte
        headers = upstream_request_headers(
            request.headers,
            request_id=scope.get("state", {}).get("request_id", ""),
            client_ip=request.client.host if request.client else "",
            scheme=scope.get("scheme", "http"),
            host=request.headers.get("host"),
        )
        body, attempts = await self._body(request)
        method = request.method
        idempotent = method in IDEMPOTENT
        head, chunked = _request_head(method, target, host_header, headers, body, declared_length(request))
        for attempt in range(1, attempts + 1):
            content = body if isinstance(body, bytes) else _limited(request, self.max_body)
            connection: UpstreamConnection | None = None
            try:
                connection = await self.pool.acquire(host, port, head_only=method == "HEAD")
                await self._send(connection, head, content, chunked)
            except BodyTooLarge as exc:
                self._discard(connection, host, port)
                raise PayloadTooLarge(f"request body larger than {self.max_body} bytes") from exc
            except ConnectTimeout as exc:
                raise self._failure(route, "connect", exc) from exc
            except PoolExhausted as exc:
                self._count(route, "pool", exc)
                raise ServiceUnavailable(f"too many requests in flight to {route.service}; retry shortly") from exc
            except RETRYABLE as exc:
                self._discard(connection, host, port)
                reused = connection is not None and connection.reused
                stale = reused and isinstance(exc, Disconnected) and not exc.answered
                if attempt < attempts and (idempotent or stale):
                    if idempotent and not stale:
                        await asyncio.sleep(RETRY_PAUSE * attempt)
                    continue
                raise self._failure(route, "connect", exc) from exc
            except TimeoutError as exc:
                self._discard(connection, host, port)
                raise self._failure(route, "timeout", exc) from exc
            except UpstreamError as exc:
                self._discard(connection, host, port)
                raise self._failure(route, "protocol", exc) from exc
            except BaseException:
                self._discard(connection, host, port)
                raise
            public_base = f"{scope.get('scheme', 'http')}://{request.headers.get('host', '')}"
            raw_headers = downstream_response_headers(
                connection.raw_headers, upstream_base=route.upstream.encode(), public_base=public_base.encode()
            )
            return UpstreamResponse(
                connection,
                raw_headers,
                read_timeout=self.timeout,
                release=partial(self.pool.release, connection, host, port),
                on_error=lambda exc: self._count(route, "stream", exc),
            )
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _discard(self, connection: UpstreamConnection | None, host: str, port: int) -> None:
        if connection is not None:
            connection.close()
            self.pool.release(connection, host, port)

    async def _body(self, request: Request) -> tuple[bytes | None, int]:
        """Read a small body (so the request may be sent again), else leave it to stream."""
        length = declared_length(request)
        if length is not None and length > self.max_body:
            raise PayloadTooLarge(f"request body larger than {self.max_body} bytes")
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        if not chunked and (length or 0) <= REPLAYABLE_BODY_BYTES:
            try:
                body = b"".join([chunk async for chunk in _limited(request, self.max_body)])
            except BodyTooLarge as exc:
                raise PayloadTooLarge(f"request body larger than {self.max_body} bytes") from exc
            return body, 1 + self.retries
        return None, 1

    async def _send(
        self, connection: UpstreamConnection, head: bytes, content: bytes | AsyncIterator[bytes], chunked: bool
    ) -> None:
        # Bounds the request going out and the wait for the status line as a whole.
        async with asyncio.timeout(self.timeout):
            await connection.send(head, content, chunked=chunked)
            await connection.answer()

    def _failure(self, route: Route, kind: str, exc: BaseException) -> BadGateway | GatewayTimeout:
        self._count(route, kind, exc)
        if kind == "timeout":
            return GatewayTimeout(f"{route.service} did not answer within {self.timeout:g}s")
        return BadGateway(f"{route.service} is unreachable")

    def _count(self, route: Route, kind: str, exc: BaseException) -> None:
        UPSTREAM_ERRORS.labels(route.prefix, route.service, kind).inc()
        log.warning("upstream failed", service=route.service, kind=kind, error=repr(exc)[:200])


# The request's own framing is the gateway's to write (the body is sent as read, or re-chunked).
_FRAMING = frozenset({"content-length", "expect"})


def _request_head(
    method: str,
    target: bytes,
    host: bytes,
    headers: list[tuple[str, str]],
    body: bytes | None,
    declared: int | None,
) -> tuple[bytes, bool]:
    """The request line and headers; whether the body goes chunked (a streamed body of unknown length)."""
    lines = [b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method.encode("ascii"), target, host)]
    lines += [b"%s: %s\r\n" % (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k not in _FRAMING]
    chunked = False
    if body is not None:
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(b"content-length: %d\r\n" % len(body))
    elif declared is not None:
        lines.append(b"content-length: %d\r\n" % declared)
    else:
        lines.append(b"transfer-encoding: chunked\r\n")
        chunked = True
    lines.append(b"\r\n")
    return b"".join(lines), chunked

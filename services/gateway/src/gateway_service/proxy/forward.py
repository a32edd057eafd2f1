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

import aiohttp
from multidict import CIMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from yarl import URL

from crm_common.errors import PayloadTooLarge
from crm_common.logging import get_logger
from gateway_service.errors import BadGateway, GatewayTimeout
from gateway_service.proxy.client import Attempt
from gateway_service.proxy.headers import downstream_response_headers, upstream_request_headers
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
    """Relays an upstream answer chunk by chunk; releases the upstream connection whatever happens to the client."""

    def __init__(
        self,
        upstream: aiohttp.ClientResponse,
        raw_headers: list[tuple[bytes, bytes]],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.upstream, self.on_error = upstream, on_error
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
                await send({"type": "http.response.body", "body": await self.upstream.read(), "more_body": False})
                return
            else:
                async for chunk in self.upstream.content.iter_any():
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Too late for a 502: the status line is out. Dropping the connection tells the client it is incomplete.
            self.on_error(exc)
            raise
        finally:
            self.upstream.release()


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


# A pooled keep-alive connection the upstream has just closed, or an upstream restarting: safe to send again.
RETRYABLE = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)
# How a reused connection that the upstream had already closed fails (no answer byte was read).
STALE = (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)


class Forwarder:
    def __init__(self, session: aiohttp.ClientSession, *, max_body_bytes: int, retries: int, timeout: float) -> None:
        self.session, self.max_body, self.retries, self.timeout = session, max_body_bytes, retries, timeout

    async def forward(self, request: Request, route: Route) -> Response:
        scope = request.scope
        query = scope.get("query_string", b"")
        target = route.upstream + scope["raw_path"].decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        url = URL(target, encoded=True)  # the path goes upstream byte for byte, never re-quoted
        headers = upstream_request_headers(
            request.headers,
            request_id=scope.get("state", {}).get("request_id", ""),
            client_ip=request.client.host if request.client else "",
            scheme=scope.get("scheme", "http"),
            host=request.headers.get("host"),
        )
        body, attempts = await self._body(request)
        idempotent = request.method in IDEMPOTENT
        for attempt in range(1, attempts + 1):
            content = body if isinstance(body, bytes) else _limited(request, self.max_body)
            tried = Attempt()
            try:
                upstream = await self._send(request.method, url, headers, content, tried)
            except BodyTooLarge as exc:
                raise PayloadTooLarge(f"request body larger than {self.max_body} bytes") from exc
            except aiohttp.ConnectionTimeoutError as exc:
                raise self._failure(route, "connect", exc) from exc
            except RETRYABLE as exc:
                if _caused_by_body_limit(exc):
                    raise PayloadTooLarge(f"request body larger than {self.max_body} bytes") from exc
                if attempt < attempts and (idempotent or (tried.reused and isinstance(exc, STALE))):
                    if idempotent:
                        await asyncio.sleep(RETRY_PAUSE * attempt)
                    continue
                raise self._failure(route, "connect", exc) from exc
            except TimeoutError as exc:
                raise self._failure(route, "timeout", exc) from exc
            except aiohttp.ClientError as exc:
                if _caused_by_body_limit(exc):
                    raise PayloadTooLarge(f"request body larger than {self.max_body} bytes") from exc
                raise self._failure(route, "protocol", exc) from exc
            public_base = f"{scope.get('scheme', 'http')}://{request.headers.get('host', '')}"
            raw_headers = downstream_response_headers(
                list(upstream.raw_headers), upstream_base=route.upstream.encode(), public_base=public_base.encode()
            )
            return UpstreamResponse(upstream, raw_headers, lambda exc: self._count(route, "stream", exc))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

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
        self,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        content: bytes | AsyncIterator[bytes],
        tried: Attempt,
    ) -> aiohttp.ClientResponse:
        # The read timeout is per read; this bounds the wait for the status line as a whole.
        async with asyncio.timeout(self.timeout):
            return await self.session.request(
                method,
                url,
                headers=CIMultiDict(headers),
                data=content,
                allow_redirects=False,
                compress=None,
                trace_request_ctx=tried,
            )

    def _failure(self, route: Route, kind: str, exc: BaseException) -> BadGateway | GatewayTimeout:
        self._count(route, kind, exc)
        if kind == "timeout":
            return GatewayTimeout(f"{route.service} did not answer within {self.timeout:g}s")
        return BadGateway(f"{route.service} is unreachable")

    def _count(self, route: Route, kind: str, exc: BaseException) -> None:
        UPSTREAM_ERRORS.labels(route.prefix, route.service, kind).inc()
        log.warning("upstream failed", service=route.service, kind=kind, error=repr(exc)[:200])


def _caused_by_body_limit(exc: BaseException) -> bool:
    """aiohttp may wrap the error our body iterator raised while the request was being written."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BodyTooLarge):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

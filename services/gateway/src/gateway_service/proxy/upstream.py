"""The gateway's HTTP/1.1 client for proxied requests: keep-alive connections per upstream, answers parsed by
httptools (the parser uvicorn serves with).

A proxied request needs little of a general client: one known upstream per route over plain HTTP/1.1, the request
line, headers and body as they came, and the answer's status, raw headers and body passed back as they are (no
redirects, cookies, decompression, proxies or TLS). aiohttp, which did this before, spent 136-169 µs of CPU on a
small GET against a trivial upstream, measured in one process; this client 41-43 µs (issue #16;
services/gateway/README.md, "Proxy behaviour" and "Serving options"). What the forwarder needs to retry safely is
kept: whether a request went out on a reused connection and whether any byte of an answer came back before the
connection failed (``Disconnected``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import cast

import httptools

# Answer body bytes held per connection before it stops reading from the upstream (a slow client downstream).
READ_BUFFER_BYTES = 256 * 1024


class UpstreamError(Exception):
    """Base of what can go wrong talking to an upstream."""


class ConnectFailed(UpstreamError):
    """No connection could be made (refused, unreachable, name not resolved)."""


class ConnectTimeout(UpstreamError):
    """No connection within the connect timeout."""


class PoolExhausted(UpstreamError):
    """As many requests as the pool allows were in flight for the whole connect timeout."""


class Disconnected(UpstreamError):
    """The connection closed or broke before the answer was complete; ``answered``: whether any of it had arrived."""

    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


class ProtocolError(UpstreamError):
    """The upstream's answer is not valid HTTP/1.1."""


class UpstreamConnection(asyncio.Protocol):
    """One keep-alive connection; one request at a time (no pipelining)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self._writable: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._head: asyncio.Future[None] = self.loop.create_future()
        self._waiter: asyncio.Future[None] | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._received = False  # any byte of this answer
        self._head_only = False
        self._until_eof = False
        self._informational = False
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self.complete = False
        self.keep_alive = False
        self._error: UpstreamError | None = None

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"invalid answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._until_eof and self._head.done() and not self.complete:
            self.complete = True  # an answer delimited by the end of the connection
            self._wake()
        elif not self.complete:
            reason = f"connection closed by the upstream ({exc!r})" if exc else "connection closed by the upstream"
            self._fail(Disconnected(reason, answered=self._received))
        if self._writable is not None and not self._writable.done():
            self._writable.set_exception(Disconnected("connection closed while sending", answered=self._received))
            self._writable.exception()  # retrieved: the sender may have stopped waiting

    def pause_writing(self) -> None:
        self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            self._informational = True
            self._raw_headers = []
            return
        self.status, self.raw_headers = status, self._raw_headers
        self.keep_alive = bool(self._parser.should_keep_alive())
        length = chunked = None
        for name, value in self.raw_headers:
            lowered = name.lower()
            if lowered == b"content-length":
                length = value
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if length is not None:
            try:
                self.content_length = int(length)
            except ValueError:
                self.content_length = None
        without_body = self._head_only or status in (204, 304)
        if without_body:
            self.content_length = 0
        if not without_body and length is None and not chunked:
            self._until_eof, self.keep_alive = True, False
        if self._head_only:
            # httptools cannot be told the request was HEAD, and would take the announced length as a body to come:
            # the answer ends here, and the connection is not reused.
            self.keep_alive, self.complete = False, True
        if not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > READ_BUFFER_BYTES and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self.complete = True
        self._wake()

    # -- used by the pool and the forwarder
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: UpstreamError) -> None:
        if self._error is None:
            self._error = error
        if not self._head.done():
            self._head.set_exception(error)
            self._head.exception()  # retrieved: nobody may be waiting for it any more
        self._wake()

    @property
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and not self._chunks and self._error is None

    def prepare(self, *, head_only: bool) -> None:
        """Ready for the next request (a pooled connection: its previous answer was complete)."""
        self._reset()
        self._head_only = head_only

    async def send(self, head: bytes, body: bytes | AsyncIterator[bytes] | None, *, chunked: bool) -> None:
        """Write the request: ``head`` (request line and headers), then ``body`` as it is or chunked."""
        transport = self.transport
        if transport is None or self.closed or transport.is_closing():
            raise Disconnected("connection closed before the request", answered=False)
        if body is None or isinstance(body, bytes):
            transport.write(head + body if body else head)
            return
        transport.write(head)
        async for chunk in body:
            if self._error is not None or self.closed:
                break
            transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
            if self._writable is not None:
                await self._writable
        if chunked and not self.closed:
            transport.write(b"0\r\n\r\n")

    async def answer(self) -> None:
        """Wait for the status line and headers of the answer."""
        await self._head

    async def read(self, timeout: float) -> bytes | None:
        """The next piece of the answer's body, ``None`` at its end; ``timeout`` seconds at most for it to come."""
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self.complete:
                return None
            self._waiter = self.loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._waiter
            finally:
                self._waiter = None
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered <= READ_BUFFER_BYTES // 2 and self.transport is not None and not self.closed:
            self.transport.resume_reading()
        return chunk

    async def read_all(self, timeout: float) -> bytes:
        parts = []
        while (chunk := await self.read(timeout)) is not None:
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Keep-alive connections per upstream address: at most ``max_connections`` requests in flight at once (waiting
    for one counts against the connect timeout), at most ``max_idle`` connections kept idle, each for
    ``keepalive_expiry`` seconds at most."""

    def __init__(self, *, max_connections: int, max_idle: int, keepalive_expiry: float, connect_timeout: float) -> None:
        self.max_idle, self.keepalive_expiry, self.connect_timeout = max_idle, keepalive_expiry, connect_timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[str, int], list[UpstreamConnection]] = {}
        self._idle_count = 0

    async def acquire(self, host: str, port: int, *, head_only: bool = False) -> UpstreamConnection:
        """A connection to ``host:port``: the most recently used idle one still open, else a new one."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise PoolExhausted(f"no free connection to {host}:{port} within {self.connect_timeout:g}s") from exc
        try:
            connection = self._pooled(host, port) or await self._connect(host, port)
        except BaseException:
            self._slots.release()
            raise
        connection.prepare(head_only=head_only)
        return connection

    def release(self, connection: UpstreamConnection, host: str, port: int) -> None:
        """Back to the pool if its answer was read to the end and both sides keep it alive, else closed."""
        self._slots.release()
        if connection.reusable and self._idle_count < self.max_idle:
            connection.idle_since = time.monotonic()
            connection.reused = True
            self._idle.setdefault((host, port), []).append(connection)
            self._idle_count += 1
        else:
            connection.close()

    def _pooled(self, host: str, port: int) -> UpstreamConnection | None:
        idle = self._idle.get((host, port))
        oldest = time.monotonic() - self.keepalive_expiry
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if not connection.closed and connection.idle_since > oldest:
                return connection
            connection.close()
        return None

    async def _connect(self, host: str, port: int) -> UpstreamConnection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(lambda: UpstreamConnection(loop), host, port)
        except TimeoutError as exc:
            raise ConnectTimeout(f"could not connect to {host}:{port} within {self.connect_timeout:g}s") from exc
        except OSError as exc:
            raise ConnectFailed(f"could not connect to {host}:{port}: {exc}") from exc
        return connection

    async def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

"""A lean Redis client for one command on every request: one connection, commands pipelined on it.

redis-py spends most of a round trip's CPU in its own layers (connection pool, retries, timeouts, observability,
command packing and parsing): measured in one process, a GET cost 77-100 µs of CPU and the gateway's access script
(``EVALSHA``) 106-116 µs, and the same commands written and parsed here 39-52 µs and 43-59 µs (issue #16,
services/gateway/README.md, "Serving options"). Redis answers the commands of one connection in order, so any
number of callers share the connection: each command's reply is the next one to arrive, and a caller that stopped
waiting (a timeout) still has its reply consumed in its turn. Everything else keeps using redis-py.

Failures look like redis-py's to the code around them (``crm_common.redis_breaker``): a lost or refused connection
is ``redis.exceptions.ConnectionError`` (every caller then waiting gets it; the next command connects again), no
reply within ``timeout`` a ``TimeoutError``, an error reply ``redis.exceptions.ResponseError``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from typing import Any

from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

Reply = bytes | int | list[Any] | ResponseError | None


def encode(args: tuple[bytes | str | int, ...]) -> bytes:
    """A command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        value = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(value), value))
    return b"".join(parts)


def parse(buffer: bytearray, start: int) -> tuple[Reply, int] | None:
    """The RESP2 reply at ``start`` and where it ends; ``None`` while it has not all arrived."""
    end = buffer.find(b"\r\n", start)
    if end < 0:
        return None
    kind, line, at = buffer[start], bytes(buffer[start + 1 : end]), end + 2
    if kind == 0x2B:  # + simple string
        return line, at
    if kind == 0x2D:  # - error
        return ResponseError(line.decode("utf-8", "replace")), at
    if kind == 0x3A:  # : integer
        return int(line), at
    if kind == 0x24:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, at
        if len(buffer) < at + size + 2:
            return None
        return bytes(buffer[at : at + size]), at + size + 2
    if kind == 0x2A:  # * array
        count = int(line)
        if count < 0:
            return None, at
        items: list[Any] = []
        for _ in range(count):
            parsed = parse(buffer, at)
            if parsed is None:
                return None
            item, at = parsed
            items.append(item)
        return items, at
    raise RedisConnectionError(f"unexpected reply type {chr(kind)!r} from redis")


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.buffer = bytearray()
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        at = 0
        try:
            while self.waiting and (parsed := parse(self.buffer, at)) is not None:
                reply, at = parsed
                waiter = self.waiting.popleft()
                if not waiter.done():
                    waiter.set_result(reply)
        except (ValueError, RedisConnectionError) as exc:
            self._fail(RedisConnectionError(f"unreadable reply from redis: {exc}"))
            if self.transport is not None:
                self.transport.close()
        del self.buffer[:at]

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"connection to redis lost ({exc!r})" if exc else "connection to redis lost"))

    def _fail(self, error: Exception) -> None:
        self.lost = True
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def send(self, payload: bytes) -> asyncio.Future[Reply]:
        if self.lost or self.transport is None or self.transport.is_closing():
            raise RedisConnectionError("connection to redis lost")
        waiter: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        self.transport.write(payload)
        return waiter


class RespClient:
    """Commands on one pipelined connection to the Redis of ``url`` (``redis://[user:password@]host:port/db``)."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        options = parse_url(url)
        self.host, self.port = str(options.get("host", "localhost")), int(options.get("port", 6379))
        self.db, self.timeout = int(options.get("db", 0)), timeout
        self.username, self.password = options.get("username"), options.get("password")
        self._connection: _Connection | None = None
        self._connecting: asyncio.Task[_Connection] | None = None
        self._scripts: dict[str, bytes] = {}  # script -> its SHA1

    async def call(self, *args: bytes | str | int) -> Reply:
        """One command's reply; an error reply is raised."""
        connection = await self._connected()
        waiter = connection.send(encode(args))
        async with asyncio.timeout(self.timeout):  # a reply that comes later is consumed in its turn, and dropped
            reply = await waiter
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def evalsha(self, script: str, keys: list[str], args: list[str | int]) -> Reply:
        """Run a Lua script by its SHA1, sending its text once if this Redis does not know it yet (``NOSCRIPT``)."""
        sha = self._scripts.get(script)
        if sha is None:
            sha = self._scripts[script] = hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest().encode()
        try:
            return await self.call(b"EVALSHA", sha, len(keys), *keys, *args)
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            return await self.call(b"EVAL", script, len(keys), *keys, *args)

    async def _connected(self) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.lost:
            return connection
        if self._connecting is None:  # one connection attempt, however many callers wait for it
            self._connecting = asyncio.ensure_future(self._connect())
        try:
            return await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
                setup = []
                if self.password is not None:
                    auth = (self.username, self.password) if self.username else (self.password,)
                    setup.append(connection.send(encode((b"AUTH", *auth))))
                if self.db:
                    setup.append(connection.send(encode((b"SELECT", self.db))))
                for reply in await asyncio.gather(*setup):
                    if isinstance(reply, ResponseError):
                        connection.transport.close()  # type: ignore[union-attr]
                        raise RedisConnectionError(f"redis refused the connection's setup: {reply}")
        except OSError as exc:
            raise RedisConnectionError(f"cannot connect to redis at {self.host}:{self.port}: {exc}") from exc
        self._connection = connection
        return connection

    async def close(self) -> None:
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.close()
        self._connection = None

"""The proxy's HTTP/1.1 client against scripted upstreams on real sockets: how an answer ends (length, chunks, the
end of the connection, none for HEAD/204), interim answers, broken and invalid answers, and the pool's keep-alive,
idle and in-flight limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from crm_testing import free_port
from gateway_service.proxy.forward import _request_head
from gateway_service.proxy.upstream import (
    ConnectFailed,
    Disconnected,
    PoolExhausted,
    ProtocolError,
    UpstreamConnection,
    UpstreamPool,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
GET = b"GET /x HTTP/1.1\r\nhost: up\r\n\r\n"


@asynccontextmanager
async def upstream(handler: Handler) -> AsyncIterator[tuple[int, list[int]]]:
    """A scripted upstream on a free port; yields the port and the list of connection numbers it accepted."""
    accepted: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(len(accepted) + 1)
        try:
            await handler(reader, writer, accepted[-1])
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], accepted
    finally:
        server.close()


async def request_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def answering(*answers: bytes, close: bool = False) -> Handler:
    """Reads a request, writes the next answer, for each answer; then waits for the client (or closes)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _number: int) -> None:
        for answer in answers:
            await request_head(reader)
            writer.write(answer)
            await writer.drain()
        if not close:
            await reader.read()

    return handler


def pool(**overrides: float) -> UpstreamPool:
    settings = {"max_connections": 8, "max_idle": 8, "keepalive_expiry": 30.0, "connect_timeout": 1.0, **overrides}
    return UpstreamPool(**settings)  # type: ignore[arg-type]


async def exchange(p: UpstreamPool, port: int, head: bytes = GET, *, head_only: bool = False) -> tuple[int, bytes]:
    connection = await p.acquire("127.0.0.1", port, head_only=head_only)
    try:
        await connection.send(head, None, chunked=False)
        await connection.answer()
        return connection.status, await connection.read_all(2.0)
    finally:
        p.release(connection, "127.0.0.1", port)


@pytest.mark.parametrize(
    ("answer", "close", "body", "connections"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-one: 1\r\n\r\nhi", False, b"hi", [1]),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            False,
            b"abcde",
            [1],
        ),
        (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it", True, b"all of it", [1, 2]),
    ],
    ids=["declared length", "chunked", "ended by closing"],
)
async def test_an_answer_is_read_whole_and_its_connection_reused_when_it_can_be(
    answer: bytes, close: bool, body: bytes, connections: list[int]
) -> None:
    """Two requests in a row: one connection when the answer's end is in the answer, a new one after an answer that
    ended with the connection."""
    answers = (answer,) if close else (answer, answer)  # a closing upstream answers once per connection
    async with upstream(answering(*answers, close=close)) as (port, accepted):
        p = pool()
        assert await exchange(p, port) == (200, body)
        assert await exchange(p, port) == (200, body)
        await p.close()
    assert accepted == connections


async def test_a_head_answer_has_no_body_whatever_length_it_announces() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"
    async with upstream(answering(head, head)) as (port, accepted):
        p = pool()
        assert await exchange(p, port, b"HEAD /x HTTP/1.1\r\nhost: up\r\n\r\n", head_only=True) == (200, b"")
        assert await exchange(p, port, b"HEAD /x HTTP/1.1\r\nhost: up\r\n\r\n", head_only=True) == (200, b"")
        await p.close()
    assert accepted == [1, 2]  # never reused: the parser cannot be told the request was HEAD


async def test_no_content_and_an_interim_answer_before_the_real_one() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await request_head(reader)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await request_head(reader)
        # the interim answer, the real one's head and its body each in a packet of their own
        for part in (b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n", b"{}"):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.05)
        await reader.read()

    async with upstream(handler) as (port, accepted):
        p = pool()
        assert await exchange(p, port) == (204, b"")
        assert await exchange(p, port) == (201, b"{}")
        await p.close()
    assert accepted == [1]


async def test_an_invalid_answer_is_a_protocol_error() -> None:
    async with upstream(answering(b"HTTP/1.1 OK\r\n\r\n")) as (port, _):
        p = pool()
        with pytest.raises(ProtocolError):
            await exchange(p, port)
        await p.close()


async def test_a_connection_closed_before_and_after_the_first_answer_byte() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await request_head(reader)

    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-le")
        await writer.drain()

    async def short_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
        await writer.drain()

    for handler, answered in ((silent, False), (half, True), (short_body, True)):
        async with upstream(handler) as (port, _):
            p = pool()
            with pytest.raises(Disconnected) as caught:
                await exchange(p, port)
            assert caught.value.answered is answered
            await p.close()


async def test_a_large_answer_arrives_intact_through_the_read_buffer_limit() -> None:
    body = bytes(range(256)) * 8192  # 2 MiB: reading is paused and resumed along the way
    big = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body
    async with upstream(answering(big)) as (port, _):
        p = pool()
        connection = await p.acquire("127.0.0.1", port)
        await connection.send(GET, None, chunked=False)
        await connection.answer()
        received = bytearray()
        while (chunk := await connection.read(2.0)) is not None:
            received += chunk
            await asyncio.sleep(0)  # a slow client downstream
        p.release(connection, "127.0.0.1", port)
        await p.close()
    assert received == body


async def test_a_streamed_request_body_goes_chunked() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        seen.append(await request_head(reader))
        seen.append(await reader.readuntil(b"0\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def parts() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b"world"

    head, chunked = _request_head("POST", b"/x", b"up", [("content-type", "text/plain")], None, None)
    async with upstream(handler) as (port, _):
        p = pool()
        connection = await p.acquire("127.0.0.1", port)
        await connection.send(head, parts(), chunked=chunked)
        await connection.answer()
        assert connection.status == 200
        p.release(connection, "127.0.0.1", port)
        await p.close()
    assert b"transfer-encoding: chunked\r\n" in seen[0]
    assert seen[1] == b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"


def test_the_request_head_frames_the_body_itself() -> None:
    headers = [("content-length", "99"), ("expect", "100-continue"), ("x-a", "1")]
    head, chunked = _request_head("POST", b"/p?q=1", b"catalog:8002", headers, b"{}", 2)
    assert head == b"POST /p?q=1 HTTP/1.1\r\nhost: catalog:8002\r\nx-a: 1\r\ncontent-length: 2\r\n\r\n"
    assert not chunked
    assert b"content-length: 0" in _request_head("POST", b"/", b"h", [], b"", 0)[0]
    assert b"content-length" not in _request_head("GET", b"/", b"h", [], b"", None)[0]
    streamed, chunked = _request_head("PUT", b"/", b"h", [], None, 100_000)
    assert b"content-length: 100000\r\n" in streamed
    assert not chunked


async def test_idle_connections_expire_and_beyond_the_idle_limit_are_closed() -> None:
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
    async with upstream(answering(ok, ok, ok)) as (port, accepted):
        p = pool(keepalive_expiry=0.2)
        await exchange(p, port)
        await asyncio.sleep(0.3)
        await exchange(p, port)  # the first connection had expired
        await p.close()
    assert accepted == [1, 2]
    async with upstream(answering(ok, ok)) as (port, accepted):
        p = pool(max_idle=1)
        first = await p.acquire("127.0.0.1", port)
        second = await p.acquire("127.0.0.1", port)
        for connection in (first, second):
            await connection.send(GET, None, chunked=False)
            await connection.answer()
            await connection.read_all(2.0)
        p.release(first, "127.0.0.1", port)
        p.release(second, "127.0.0.1", port)
        assert not first.closed
        assert second.closed
        await p.close()


async def test_in_flight_requests_are_limited_and_a_refused_connection_is_reported() -> None:
    async with upstream(answering()) as (port, _):
        p = pool(max_connections=1, connect_timeout=0.2)
        held: UpstreamConnection = await p.acquire("127.0.0.1", port)
        with pytest.raises(PoolExhausted):
            await p.acquire("127.0.0.1", port)
        held.close()
        p.release(held, "127.0.0.1", port)
        (await p.acquire("127.0.0.1", port)).close()  # the slot is free again
        await p.close()
    with pytest.raises(ConnectFailed):
        await pool().acquire("127.0.0.1", free_port())

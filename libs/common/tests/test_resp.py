"""The lean Redis client against the real Redis (and a scripted server for a dropped connection): replies of every
type, many callers on one connection each getting their own reply, a caller that timed out not shifting the others',
scripts loaded on demand, and a lost connection reported and replaced."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from crm_common.resp import RespClient, encode, parse
from crm_testing import redis_url

SCRIPT = "return {redis.call('INCR', KEYS[1]), ARGV[1], {1, 'two'}}"


@pytest.fixture
async def client() -> AsyncIterator[RespClient]:
    c = RespClient(redis_url(), timeout=2.0)
    yield c
    await c.close()


def key() -> str:
    return f"test-resp:{uuid.uuid4().hex}"


async def test_replies_of_every_type_and_the_database_of_the_url(client: RespClient) -> None:
    k = key()
    assert await client.call("SET", k, b"\x00bytes\r\n", "EX", 60) == b"OK"
    assert await client.call("GET", k) == b"\x00bytes\r\n"
    assert await client.call("GET", key()) is None
    assert await client.call("INCR", k + ":n") == 1
    assert await client.call("EXPIRE", k + ":n", 60) == 1
    assert await client.call("EVAL", SCRIPT, 1, k + ":n", "x") == [2, b"x", [1, b"two"]]
    with pytest.raises(ResponseError):
        await client.call("INCR", k)  # not an integer: an error reply, and the connection goes on
    assert await client.call("GET", k) == b"\x00bytes\r\n"
    other = Redis.from_url(redis_url())
    try:
        assert await other.get(k) == b"\x00bytes\r\n"  # the same database (the URL's), seen by redis-py
    finally:
        await other.aclose()


async def test_callers_side_by_side_each_get_their_own_reply(client: RespClient) -> None:
    keys = [key() for _ in range(200)]
    await asyncio.gather(*(client.call("SET", k, k, "EX", 60) for k in keys))
    assert await asyncio.gather(*(client.call("GET", k) for k in keys)) == [k.encode() for k in keys]


async def test_a_caller_that_timed_out_does_not_take_the_next_callers_reply() -> None:
    client = RespClient(redis_url(), timeout=0.3)
    k = key()
    try:
        await client.call("SET", k, "value", "EX", 60)
        with pytest.raises(TimeoutError):
            await client.call("BLPOP", key(), 0.6)  # Redis answers nil after 0.6 s, after the caller gave up
        await asyncio.sleep(0.5)  # the nil has arrived meanwhile
        assert await client.call("GET", k) == b"value"
    finally:
        await client.close()


async def test_a_script_unknown_to_redis_is_sent_once_then_run_by_its_digest(client: RespClient) -> None:
    k = key()
    await client.call("SCRIPT", "FLUSH")
    assert await client.evalsha(SCRIPT, [k], ["a"]) == [1, b"a", [1, b"two"]]
    assert await client.call("SCRIPT", "EXISTS", client._scripts[SCRIPT]) == [1]
    assert await client.evalsha(SCRIPT, [k], ["b"]) == [2, b"b", [1, b"two"]]
    await client.call("DEL", k)


async def test_a_lost_connection_fails_its_callers_and_the_next_call_connects_again() -> None:
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        request = await reader.read(65536)
        if len(connections) > 1:
            writer.write(b"+PONG\r\n" * request.count(b"PING"))
            await writer.drain()
            await reader.read()
        writer.close()  # the first connection: dropped with the command unanswered

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = RespClient(f"redis://127.0.0.1:{port}/0", timeout=2.0)
    try:
        with pytest.raises(RedisConnectionError):
            await client.call("PING")
        assert await client.call("PING") == b"PONG"
        assert len(connections) == 2
    finally:
        await client.close()
        server.close()
    with pytest.raises(RedisConnectionError):
        await RespClient(f"redis://127.0.0.1:{port}/0").call("PING")  # nothing listens any more


def test_a_reply_is_parsed_only_once_it_has_all_arrived() -> None:
    reply = b"*3\r\n:7\r\n$5\r\nhello\r\n*2\r\n$-1\r\n-ERR no\r\n"
    for cut in range(len(reply)):
        assert parse(bytearray(reply[:cut]), 0) is None
    parsed = parse(bytearray(reply + b"+next\r\n"), 0)
    assert parsed is not None
    value, end = parsed
    assert value[:2] == [7, b"hello"]
    assert value[2][0] is None
    assert isinstance(value[2][1], ResponseError)
    assert end == len(reply)
    assert encode((b"SET", "k", 12)) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"

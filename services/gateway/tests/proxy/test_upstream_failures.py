"""A down or slow service gives 502/504 with the uniform body in time; the other routes keep working."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import httpx

from crm_testing import free_port


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_service_that_is_down_gives_502(gateway_factory: Any, keys: Any) -> None:
    with gateway_factory(analytics_url=f"http://127.0.0.1:{free_port()}") as url:
        async with httpx.AsyncClient(base_url=url) as c:
            response = await c.get("/api/v1/analytics/revenue", headers=bearer(keys.mint()))
            other = await c.get("/api/v1/products/", headers=bearer(keys.mint()))
    assert response.status_code == 502
    assert response.json() == {"error": "BadGateway", "detail": "analytics is unreachable"}
    assert other.status_code == 200


async def test_a_slow_service_gives_504_within_the_timeout(client: httpx.AsyncClient, keys: Any) -> None:
    started = time.monotonic()
    response = await client.get("/api/v1/analytics/report/slow?seconds=4", headers=bearer(keys.mint()))
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"] == "GatewayTimeout"
    assert elapsed < 4  # upstream_timeout is 2s in the tests


async def test_other_routes_keep_serving_while_one_service_hangs(client: httpx.AsyncClient, keys: Any) -> None:
    token = keys.mint()
    hanging = asyncio.create_task(client.get("/api/v1/analytics/report/slow?seconds=4", headers=bearer(token)))
    await asyncio.sleep(0.2)
    fast = await client.get("/api/v1/products/", headers=bearer(token))
    assert fast.status_code == 200
    assert not hanging.done()  # answered while the other request still waits for its upstream
    assert (await hanging).status_code == 504


def http_answer(status: bytes, body: bytes, *, close: bool = False) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\ncontent-type: application/json\r\n"
        + connection
        + b"content-length: %d\r\n\r\n" % len(body)
        + body
    )


class RawUpstream:
    """A plain-socket upstream on a free port; each accepted connection is handed to ``handle`` in a thread."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn, self.connections), daemon=True).start()

    def _run(self, conn: socket.socket, number: int) -> None:
        with conn:
            self.handle(conn, number)

    def handle(self, conn: socket.socket, number: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()


class FlakyServer(RawUpstream):
    """Drops the first ``drops`` connections right after reading the request, then answers 200."""

    def __init__(self, drops: int) -> None:
        self.drops, self.requests = drops, 0
        super().__init__()

    def handle(self, conn: socket.socket, number: int) -> None:
        if not conn.recv(65536):
            return
        self.requests += 1
        if self.requests <= self.drops:
            return  # close without answering
        conn.sendall(http_answer(b"200 OK", b'{"ok": true}', close=True))


async def test_idempotent_requests_are_retried_when_the_connection_breaks(gateway_factory: Any, keys: Any) -> None:
    flaky = FlakyServer(drops=1)
    try:
        with gateway_factory(catalog_url=f"http://127.0.0.1:{flaky.port}", idempotent_retries=2) as url:
            async with httpx.AsyncClient(base_url=url) as c:
                response = await c.get("/api/v1/products/", headers=bearer(keys.mint()))
    finally:
        flaky.close()
    assert response.status_code == 200
    assert flaky.requests == 2


async def test_non_idempotent_requests_are_never_sent_twice(gateway_factory: Any, keys: Any) -> None:
    flaky = FlakyServer(drops=1)
    try:
        with gateway_factory(catalog_url=f"http://127.0.0.1:{flaky.port}", idempotent_retries=2) as url:
            async with httpx.AsyncClient(base_url=url) as c:
                response = await c.post("/api/v1/products/", headers=bearer(keys.mint()), json={"name": "x"})
    finally:
        flaky.close()
    assert response.status_code == 502
    assert flaky.requests == 1


class ClosesAfterErrorServer(RawUpstream):
    """Answers its first request 500 on a keep-alive connection, then closes that connection when the next request
    arrives on it without answering (as an upstream that dropped the connection after its error, raced by a reuse);
    every later connection answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, bytes]] = []  # (connection number, request line)
        super().__init__()

    def handle(self, conn: socket.socket, number: int) -> None:
        while data := conn.recv(65536):
            self.requests.append((number, data.split(b"\r\n", 1)[0]))
            if number == 1 and len(self.requests) == 1:
                conn.sendall(http_answer(b"500 Internal Server Error", b'{"error": "Boom", "detail": "x"}'))
            elif number == 1:
                return  # the stale connection: closed with no answer byte
            else:
                conn.sendall(http_answer(b"200 OK", b'{"ok": true}'))


async def test_a_post_on_a_pooled_connection_the_upstream_closed_is_sent_again(gateway_factory: Any, keys: Any) -> None:
    upstream = ClosesAfterErrorServer()
    try:
        with gateway_factory(catalog_url=f"http://127.0.0.1:{upstream.port}") as url:
            async with httpx.AsyncClient(base_url=url) as c:
                failed = await c.put("/api/v1/products/x", headers=bearer(keys.mint()), json={"name": "x"})
                created = await c.post("/api/v1/products/", headers=bearer(keys.mint()), json={"name": "y"})
    finally:
        upstream.close()
    assert failed.status_code == 500
    assert created.status_code == 200, created.text
    # The POST went out on the pooled connection first (dropped unanswered), then once more on a new one.
    assert [(n, line.split(b" ")[0]) for n, line in upstream.requests] == [(1, b"PUT"), (1, b"POST"), (2, b"POST")]


async def test_a_full_pool_answers_503_and_frees_up_when_the_upstream_answers(gateway_factory: Any, keys: Any) -> None:
    """One request in flight at most: a second one waits the connect timeout for it, then gets 503, not 502 (the
    upstream is fine, the gateway is saturated); once the first is answered the pool serves again."""
    with gateway_factory(max_connections=1, connect_timeout=timedelta(seconds=0.5)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as c:
            token = keys.mint()
            slow = asyncio.create_task(c.get("/api/v1/analytics/report/slow?seconds=1.5", headers=bearer(token)))
            await asyncio.sleep(0.3)
            refused = await c.get("/api/v1/products/", headers=bearer(token))
            assert (await slow).status_code == 200
            after = await c.get("/api/v1/products/", headers=bearer(token))
    assert refused.status_code == 503
    assert refused.json() == {
        "error": "ServiceUnavailable",
        "detail": "too many requests in flight to catalog; retry shortly",
    }
    assert after.status_code == 200

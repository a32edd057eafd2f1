"""Real sockets everywhere: fake upstream services and a JWKS served by uvicorn in threads, the gateway in front.

JWTs are minted here with an Ed25519 key that the fake auth service publishes as a JWKS, so the gateway's JWKS fetch
path runs for real. Redis is the real one (db 15).
"""

from __future__ import annotations

import os

from crm_testing import redis_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["ENVIRONMENT"] = "test"
os.environ["LOG_JSON"] = "false"
os.environ["REDIS_URL"] = redis_url()

import asyncio
import base64
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from redis.asyncio import Redis

from crm_testing import free_port, serve_in_thread
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings, RateLimitRule

ISSUER, AUDIENCE = "crm-auth", "crm-api"
ALL_PERMISSIONS = [
    "products:read",
    "inventory:read",
    "inventory:write",
    "analytics:read",
    "notifications:read",
    "admin:users",
    "admin:integrations",
    "sync:run",
    "admin:health",
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Keys:
    """Signing keys of the fake auth service; ``published`` is what its JWKS shows right now."""

    private: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)

    def add(self, kid: str, publish: bool = True) -> None:
        self.private[kid] = Ed25519PrivateKey.generate()
        if publish:
            self.published.append(kid)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            raw = self.private[kid].public_key().public_bytes_raw()
            keys.append({"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": keys}

    def mint(
        self,
        permissions: list[str] | None = None,
        *,
        kid: str = "k1",
        sub: str | None = None,
        sid: str | None = None,
        ttl: int = 300,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "sub": sub or str(uuid.uuid4()),
            "sid": sid or str(uuid.uuid4()),
            "jti": str(uuid.uuid4()),
            "permissions": ALL_PERMISSIONS if permissions is None else permissions,
        }
        claims.update(overrides)
        return jwt.encode(claims, self.private[kid], algorithm="EdDSA", headers={"kid": kid})


def auth_app(keys: Keys) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/auth/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        app.state.jwks_fetches = getattr(app.state, "jwks_fetches", 0) + 1
        return keys.jwks()

    @app.post("/api/v1/auth/login")
    async def login(request: Request) -> dict[str, Any]:
        body = await request.json()
        return {"access_token": keys.mint(sub=body.get("email")), "token_type": "bearer"}

    @app.get("/health/ready")
    async def ready() -> dict[str, Any]:
        return {"status": "ok", "checks": {}}

    @app.get("/api/v1/auth/me")
    async def me(request: Request) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    @app.get("/api/v1/admin/users")
    async def users() -> dict[str, Any]:
        return {"service": "auth", "items": []}

    return app


def echo_app(name: str) -> FastAPI:
    """A service that answers every path with what it received, plus a few special behaviours."""
    app = FastAPI()
    app.state.hits = 0

    @app.get("/health/ready")
    async def ready() -> dict[str, Any]:
        return {"status": "ok", "checks": {"postgres": "ok"}}

    @app.get("/api/v1/{rest:path}/slow")
    async def slow(rest: str, seconds: float = 5.0) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"slept": str(seconds)}

    @app.get("/api/v1/{rest:path}/big")
    async def big(rest: str, chunks: int = 64, size: int = 16384) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for i in range(chunks):
                yield bytes([65 + i % 26]) * size

        return StreamingResponse(body(), media_type="application/octet-stream")

    @app.get("/api/v1/{rest:path}/redirect")
    async def redirect(rest: str, request: Request) -> Response:
        return Response(status_code=307, headers={"location": f"{request.base_url}api/v1/{rest}/"})

    @app.api_route("/api/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def echo(rest: str, request: Request) -> JSONResponse:
        app.state.hits += 1
        body = await request.body()
        return JSONResponse(
            {
                "service": name,
                "method": request.method,
                "path": request.url.path,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.url.query,
                "body_length": len(body),
                "body_head": body[:64].decode("latin-1"),
                "headers": dict(request.headers),
            },
            headers={"connection": "keep-alive, x-upstream-private", "x-upstream-private": "1", "x-kept": "yes"},
        )

    return app


@dataclass
class Stack:
    keys: Keys
    urls: dict[str, str]
    apps: dict[str, FastAPI]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    keys = Keys()
    keys.add("k1")
    apps = {"auth": auth_app(keys)}
    for name in ("catalog", "inventory", "analytics", "connector", "bitrix24"):
        apps[name] = echo_app(name)
    with contextlib.ExitStack() as stack_:
        urls = {name: stack_.enter_context(serve_in_thread(app)) for name, app in apps.items()}
        yield Stack(keys, urls, apps)


@pytest.fixture(scope="session")
def keys(stack: Stack) -> Keys:
    return stack.keys


def gateway_settings(stack: Stack, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "auth_url": stack.urls["auth"],
        "catalog_url": stack.urls["catalog"],
        "inventory_url": stack.urls["inventory"],
        "analytics_url": stack.urls["analytics"],
        "connector_url": stack.urls["connector"],
        "bitrix24_connector_url": stack.urls["bitrix24"],
        "jwks_url": stack.urls["auth"] + "/api/v1/auth/.well-known/jwks.json",
        "jwks_min_refetch": 0,
        "upstream_timeout": 2,
        "connect_timeout": 1,
        "notifications_enabled": False,
        "rate_limit_namespace": f"test-rl-{uuid.uuid4().hex[:8]}",
        "rate_limits": [RateLimitRule(prefix="/api/v1", per_user=100_000, per_ip=100_000)],
    }
    values.update(overrides)
    return GatewaySettings(**values)


GatewayFactory = Callable[..., contextlib.AbstractContextManager[str]]


@pytest.fixture(scope="session")
def gateway_factory(stack: Stack) -> GatewayFactory:
    """Start a gateway with settings overrides; yields its base URL."""

    @contextlib.contextmanager
    def start(**overrides: Any) -> Iterator[str]:
        with serve_in_thread(create_app(gateway_settings(stack, **overrides))) as url:
            yield url

    return start


@pytest.fixture(scope="session")
def gateway(gateway_factory: GatewayFactory) -> Iterator[str]:
    with gateway_factory() as url:
        yield url


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10.0) as c:
        yield c


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    r = Redis.from_url(redis_url())
    yield r
    await r.aclose()


class TcpRelay:
    """A TCP forwarder the test can cut, to make a real dependency (Redis) unreachable for the gateway only."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._open = True
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._open:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            if not self._open:
                conn.close()
                return
            upstream = socket.create_connection(self.target)
            self._conns += [conn, upstream]
            threading.Thread(target=self._pipe, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, conn), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    @property
    def redis_url(self) -> str:
        db = httpx.URL(redis_url()).path or "/15"
        return f"redis://127.0.0.1:{self.port}{db}"

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self._open = False
        self._server.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


@pytest.fixture
def redis_relay() -> Iterator[TcpRelay]:
    url = httpx.URL(redis_url())
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 6379)
    yield relay
    relay.cut()

"""``JWKSKeySource`` against a real HTTP server: what it caches, when it asks again, and what it skips."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crm_common.errors import Unauthorized
from crm_common.security import jwt as jwt_module
from crm_common.security.jwt import JWKSKeySource, StaticKeySource, TokenVerifier
from crm_testing import FakeClock, serve_in_thread


def jwk(kid: str, **extra: str) -> dict[str, Any]:
    public = Ed25519PrivateKey.generate().public_key()
    return {**jwt.algorithms.OKPAlgorithm.to_jwk(public, as_dict=True), "kid": kid, **extra}


@dataclass
class AuthServer:
    """What the JWKS endpoint answers next, and what it was asked."""

    body: Any = field(default_factory=lambda: {"keys": [jwk("k1")]})
    status: int = 200
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    async def jwks(self, request: Request) -> Response:
        self.requests.append(request)
        if isinstance(self.body, str):
            return PlainTextResponse(self.body, status_code=self.status)
        return JSONResponse(self.body, status_code=self.status)


@pytest.fixture(scope="module")
def server() -> Iterator[AuthServer]:
    state = AuthServer()
    app = Starlette(routes=[Route("/jwks.json", state.jwks)])
    with serve_in_thread(app) as base_url:
        state.url = f"{base_url}/jwks.json"
        yield state


@pytest.fixture(scope="module")
def hung_auth() -> Iterator[str]:
    """A JWKS URL whose server accepts the connection and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"


@pytest.fixture
def auth(server: AuthServer) -> AuthServer:
    server.body, server.status, server.requests = {"keys": [jwk("k1")]}, 200, []
    return server


@pytest.fixture
def fake_time(clock: Callable[[ModuleType], FakeClock]) -> FakeClock:
    return clock(jwt_module)


def source(auth: AuthServer, **options: Any) -> JWKSKeySource:
    return JWKSKeySource(auth.url, **options)


def published(auth: AuthServer, kid: str) -> Any:
    return next(jwt.PyJWK(k).key for k in auth.body["keys"] if k["kid"] == kid)


def same_key(found: Any, expected: Any) -> bool:
    return found is not None and found.public_bytes_raw() == expected.public_bytes_raw()


async def test_a_published_key_is_fetched_once_then_served_from_the_cache(auth: AuthServer) -> None:
    keys = source(auth)
    assert same_key(await keys.get("k1"), published(auth, "k1"))
    assert same_key(await keys.get("k1"), published(auth, "k1"))
    assert len(auth.requests) == 1


async def test_the_first_lookup_fetches_however_long_the_clock_has_run(auth: AuthServer, fake_time: FakeClock) -> None:
    fake_time.now = 1.0  # a host that booted a second ago
    assert await source(auth).get("k1") is not None


async def test_the_cache_is_refreshed_when_its_time_is_up(auth: AuthServer, fake_time: FakeClock) -> None:
    keys = source(auth, cache_seconds=300)
    await keys.get("k1")
    auth.body = {"keys": [jwk("k2")]}  # k1 rotated out
    fake_time.advance(299.5)
    assert await keys.get("k1") is not None
    fake_time.advance(0.5)
    assert await keys.get("k1") is None
    assert len(auth.requests) == 2


async def test_an_unknown_kid_refetches_once_the_minimum_interval_has_passed(
    auth: AuthServer, fake_time: FakeClock
) -> None:
    keys = source(auth, min_refetch_seconds=5.0)
    await keys.get("k1")
    auth.body = {"keys": [*auth.body["keys"], jwk("k2")]}  # a new key appears
    fake_time.advance(4.5)
    assert await keys.get("k2") is None  # forged kids cannot make us hammer auth
    fake_time.advance(0.5)
    assert same_key(await keys.get("k2"), published(auth, "k2"))
    assert len(auth.requests) == 2


async def test_the_default_intervals_are_five_seconds_and_five_minutes(auth: AuthServer, fake_time: FakeClock) -> None:
    keys = source(auth)
    await keys.get("k1")
    fake_time.advance(4.9)
    await keys.get("unknown")
    fake_time.advance(0.1)
    await keys.get("unknown")
    assert len(auth.requests) == 2
    fake_time.advance(299.9)
    await keys.get("k1")
    assert len(auth.requests) == 2
    fake_time.advance(0.1)
    await keys.get("k1")
    assert len(auth.requests) == 3


@pytest.mark.parametrize(("status", "body"), [(500, {"keys": []}), (200, "not json")])
async def test_a_failed_fetch_keeps_the_known_keys_and_counts_as_a_fetch(
    auth: AuthServer, fake_time: FakeClock, status: int, body: Any
) -> None:
    keys = source(auth, cache_seconds=300, min_refetch_seconds=5.0)
    await keys.get("k1")
    auth.status, auth.body, old = status, body, auth.body
    fake_time.advance(300)
    assert (await keys.get("k1")) is not None  # fetch failed: the known key still verifies
    fake_time.advance(4.5)
    assert await keys.get("unknown") is None  # no new fetch: the failed one counts as one
    assert len(auth.requests) == 2
    auth.status, auth.body = 200, {"keys": [*old["keys"], jwk("k2")]}
    fake_time.advance(0.5)
    assert await keys.get("k2") is not None
    assert len(auth.requests) == 3


async def test_a_jwks_without_keys_yields_no_key(auth: AuthServer) -> None:
    auth.body = {"something": "else"}
    assert await source(auth).get("k1") is None


async def test_keys_that_cannot_sign_are_skipped_and_the_rest_kept(auth: AuthServer) -> None:
    usable, marked_sig = jwk("usable"), jwk("marked-sig", use="sig")
    auth.body = {
        "keys": [
            "not an object",
            {"kty": "OKP", "crv": "Ed25519", "x": usable["x"]},  # no kid
            jwk("for-encryption", use="enc"),
            {"kty": "OKP", "crv": "Ed25519", "x": "broken", "kid": "broken"},
            {"kty": "nonsense", "kid": "unknown-type"},
            usable,
            marked_sig,
        ]
    }
    keys = source(auth)
    assert same_key(await keys.get("usable"), jwt.PyJWK(usable).key)
    assert same_key(await keys.get("marked-sig"), jwt.PyJWK(marked_sig).key)
    for kid in ("for-encryption", "broken", "unknown-type"):
        assert await keys.get(kid) is None


async def test_a_given_http_client_is_used_and_left_open(auth: AuthServer, fake_time: FakeClock) -> None:
    async with httpx.AsyncClient(headers={"x-caller": "gateway"}) as client:
        keys = source(auth, client=client, cache_seconds=300)
        await keys.get("k1")
        fake_time.advance(300)
        await keys.get("k1")
        assert [r.headers.get("x-caller") for r in auth.requests] == ["gateway", "gateway"]
        assert not client.is_closed


async def test_a_static_source_accepts_jwk_dicts_and_key_objects() -> None:
    private = Ed25519PrivateKey.generate()
    as_dict = {**jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": "k1"}
    for key in (as_dict, private.public_key()):
        verifier = TokenVerifier(StaticKeySource({"k1": key}), algorithm="EdDSA", issuer="i", audience="a")
        claims = {"iss": "i", "aud": "a", "iat": 0, "nbf": 0, "exp": 4_000_000_000, "sub": "u", "sid": "s", "jti": "j"}
        token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": "k1"})
        assert (await verifier.verify(token)).user_id == "u"


async def test_a_token_without_a_kid_never_makes_us_ask_auth(auth: AuthServer) -> None:
    private = Ed25519PrivateKey.generate()
    verifier = TokenVerifier(source(auth), algorithm="EdDSA", issuer="i", audience="a")
    with pytest.raises(Unauthorized, match=r"^access token signed with an unknown key$"):
        await verifier.verify(jwt.encode({"sub": "u"}, private, algorithm="EdDSA"))
    assert auth.requests == []


async def test_an_auth_server_that_never_answers_costs_a_bounded_wait(hung_auth: str) -> None:
    keys = JWKSKeySource(hung_auth, timeout_seconds=0.2)
    assert await keys.get("k1") is None  # gave up instead of hanging the caller

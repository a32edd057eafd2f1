"""The security tier's system: every service and the simulator as processes (e2e_harness.full_system), driven only
through the gateway, with secrets of its own so that a leak can be recognised anywhere.

What this adds to ``e2e_harness`` (which it imports and never changes):

- unique secrets per run: ``SECRET_KEY``, the admin password, the MoySklad password, and an Ed25519 signing key given
  to auth as ``AUTH_SIGNING_KEY_PEM``, so the tests hold the private key and can mint tokens (expired, wrong
  audience...) that differ from a real one in exactly one respect;
- logs in a directory of this run (``.local/logs/e2e-security/<run>``), never shared with another suite;
- users of every built-in role and of a custom role, created through the admin API;
- an HTTP client that records every response body, for the "secrets never leak" test at the end of the tier;
- client addresses of its own per actor (``X-Forwarded-For`` from 127.0.0.1, which uvicorn trusts), so that per-IP
  rate limits and login throttles of one test never spill into another test or another suite sharing Redis.
"""

from __future__ import annotations

import http.client
import itertools
import random
import secrets as pysecrets
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import e2e_harness
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from e2e_harness import SimulatorSpec, System, bitrix24_gateway_env, bitrix24_ports, full_system, start_bitrix24

ADMIN_EMAIL = "admin@example.com"
READS = frozenset({"products:read", "inventory:read", "analytics:read", "notifications:read"})
ALL_PERMISSIONS = READS | {
    "inventory:write",
    "admin:users",
    "admin:integrations",
    "sync:run",
    "admin:health",
    "admin:dead-letters",
    "customers:write",
}
CUSTOM_ROLE = "stock-keeper"
CUSTOM_PERMISSIONS = frozenset({"inventory:read", "inventory:write", "admin:health"})
# docs/architecture.md, "Permissions": admin everything, manager all reads, sync:run and customers:write, viewer reads;
# plus one custom role.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": ALL_PERMISSIONS,
    "manager": READS | {"sync:run", "customers:write"},
    "viewer": READS,
    CUSTOM_ROLE: CUSTOM_PERMISSIONS,
}
SERVICES = ("auth", "catalog", "inventory", "analytics", "moysklad-connector", "gateway")
RESPONSE_KEEP = 256 * 1024  # bytes of each response body kept for the leak scan


@dataclass(frozen=True)
class Secrets:
    """Values that must never show up in a log line or a response body (except where they are issued)."""

    secret_key: str
    admin_password: str
    moysklad_password: str
    signing_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Secrets:
        return cls(
            secret_key=f"sec-key-{pysecrets.token_hex(20)}",
            admin_password=f"Adm1n-{pysecrets.token_hex(12)}",
            moysklad_password=f"ms-pass-{pysecrets.token_hex(12)}",
            signing_key=Ed25519PrivateKey.generate(),
        )

    @property
    def signing_key_pem(self) -> str:
        return self.signing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def named(self) -> dict[str, str]:
        pem_body = "".join(line for line in self.signing_key_pem.splitlines() if "-----" not in line)
        return {
            "SECRET_KEY": self.secret_key,
            "admin password": self.admin_password,
            "MoySklad password": self.moysklad_password,
            "AUTH_SIGNING_KEY_PEM (private key)": pem_body,
        }


@dataclass(frozen=True)
class Recorded:
    method: str
    url: str
    status: int
    body: str


@dataclass
class Account:
    email: str
    password: str
    role: str | None
    user_id: str = ""
    access_token: str = ""
    refresh_token: str = ""


class Addresses:
    """Client addresses from TEST-NET ranges, random per run so repeated runs never share a Redis counter."""

    def __init__(self) -> None:
        self._base = random.randrange(0, 256)
        self._next = itertools.count(1)

    def next(self) -> str:
        n = next(self._next)
        return f"198.18.{(self._base + n // 250) % 256}.{n % 250 + 1}"


@dataclass
class SecuritySystem:
    sut: System
    secrets: Secrets
    run: str
    addresses: Addresses = field(default_factory=Addresses)
    recorded: list[Recorded] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    issued: set[str] = field(default_factory=set)  # refresh and reset tokens handed out during the run
    kid: str = ""

    @property
    def gateway(self) -> str:
        return self.sut.url("gateway")

    def url(self, service: str) -> str:
        return self.sut.url(service)

    def record(self, response: httpx.Response) -> None:
        request = response.request
        body = response.content[:RESPONSE_KEEP].decode("utf-8", errors="replace")
        self.recorded.append(Recorded(request.method, str(request.url), response.status_code, body))

    def client(self, base: str | None = None, *, ip: str | None = None, token: str | None = None) -> httpx.Client:
        """A client of the gateway (or ``base``) that records every response; its own address unless ``ip``."""
        headers = {"x-forwarded-for": ip or self.addresses.next()}
        if token:
            headers["authorization"] = f"Bearer {token}"

        def hook(response: httpx.Response) -> None:
            response.read()
            self.record(response)

        return httpx.Client(
            base_url=base or self.gateway, headers=headers, timeout=30, event_hooks={"response": [hook]}
        )

    def login(self, email: str, password: str, *, ip: str | None = None) -> httpx.Response:
        with self.client(ip=ip) as c:
            response = c.post("/api/v1/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            self.issued.add(response.json()["refresh_token"])
        return response

    def sign_in(self, account: Account) -> Account:
        response = self.login(account.email, account.password)
        assert response.status_code == 200, response.text
        body = response.json()
        account.access_token, account.refresh_token = body["access_token"], body["refresh_token"]
        return account

    def token(self, role: str) -> str:
        return self.accounts[role].access_token

    def admin(self) -> httpx.Client:
        return self.client(token=self.token("admin"))

    def create_user(self, label: str, roles: list[str]) -> Account:
        account = Account(
            f"{label}-{self.run}@sec.example.com", f"Pw-{pysecrets.token_hex(10)}", roles[0] if roles else None
        )
        with self.admin() as c:
            response = c.post(
                "/api/v1/admin/users", json={"email": account.email, "password": account.password, "roles": roles}
            )
        assert response.status_code == 201, response.text
        account.user_id = response.json()["id"]
        return self.sign_in(account)


def _jwks_kid(sut: System, key: Ed25519PrivateKey) -> str:
    import base64

    x = base64.urlsafe_b64encode(key.public_key().public_bytes_raw()).rstrip(b"=").decode()
    keys = httpx.get(f"{sut.url('auth')}/api/v1/auth/.well-known/jwks.json", timeout=10).json()["keys"]
    matching = [k["kid"] for k in keys if k.get("x") == x]
    assert matching, f"auth does not publish the AUTH_SIGNING_KEY_PEM key: {keys}"
    return str(matching[0])


def wait_synced(sec: SecuritySystem, timeout: float = 240) -> None:
    """Until the connector's start-up full sync succeeded and products, stock and stores are served."""
    deadline = time.monotonic() + timeout
    last: Any = None
    with sec.admin() as c:
        while time.monotonic() < deadline:
            jobs = c.get("/api/v1/admin/sync/jobs", params={"limit": 5})
            last = jobs.text[:300]
            if jobs.status_code == 200 and any(j["status"] == "succeeded" for j in jobs.json()["items"]):
                counts = snapshot(sec)
                if all(counts.values()):
                    time.sleep(2)  # a last batch of events may still be applying
                    if snapshot(sec) == counts:
                        return
                last = counts
            time.sleep(1)
    raise AssertionError(f"the system did not finish its first sync in {timeout}s (last: {last})")


def snapshot(sec: SecuritySystem) -> dict[str, int]:
    """Totals the injection tests must leave unchanged."""
    lists = {
        "products": "/api/v1/products/",
        "stock": "/api/v1/inventory/stock",
        "stores": "/api/v1/inventory/stores",
        "users": "/api/v1/admin/users",
        "roles": "/api/v1/admin/roles",
    }
    out: dict[str, int] = {}
    with sec.admin() as c:
        for name, path in lists.items():
            response = c.get(path, params={"limit": 1})
            assert response.status_code == 200, (path, response.text)
            out[name] = int(response.json()["total"])
    return out


@contextmanager
def security_system() -> Iterator[SecuritySystem]:
    run = uuid.uuid4().hex[:8]
    secrets = Secrets.generate()
    logs = e2e_harness.ROOT / ".local" / "logs" / "e2e-security" / run
    previous_logs = e2e_harness.LOGS
    e2e_harness.LOGS = logs  # spawn() reads it at call time; the failure tier's logs stay where they are
    extra_env = {
        "SECRET_KEY": secrets.secret_key,
        "AUTH_ADMIN_EMAIL": ADMIN_EMAIL,
        "AUTH_ADMIN_PASSWORD": secrets.admin_password,
        "AUTH_SIGNING_KEY_PEM": secrets.signing_key_pem,
        "LOG_LEVEL": "INFO",
    }
    try:
        sim, b24 = SimulatorSpec(password=secrets.moysklad_password), bitrix24_ports()
        with full_system(sim=sim, extra_env={**extra_env, **bitrix24_gateway_env(b24)}) as sut:
            start_bitrix24(sut, sim, b24)  # every route of the gateway is served, the Bitrix24 connector's too
            sec = SecuritySystem(sut, secrets, run)
            sec.kid = _jwks_kid(sut, secrets.signing_key)
            sec.accounts["admin"] = sec.sign_in(Account(ADMIN_EMAIL, secrets.admin_password, "admin"))
            with sec.admin() as c:
                role = c.post(
                    "/api/v1/admin/roles",
                    json={
                        "name": CUSTOM_ROLE,
                        "description": "custom role of the security tier",
                        "permissions": sorted(CUSTOM_PERMISSIONS),
                    },
                )
            assert role.status_code == 201, role.text
            for name in ("manager", "viewer", CUSTOM_ROLE):
                sec.accounts[name] = sec.create_user(name, [name])
            wait_synced(sec)
            yield sec
    finally:
        e2e_harness.LOGS = previous_logs


# ------------------------------------------------------------------------------------------- raw HTTP


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(port: int, method: str, target: bytes, headers: dict[str, str] | None = None) -> RawResponse:
    """Send ``target`` exactly as given (no client-side normalisation of dot segments, encodings, NUL bytes)."""
    lines = [method.encode() + b" " + target + b" HTTP/1.1", f"host: 127.0.0.1:{port}".encode(), b"connection: close"]
    lines += [f"{k}: {v}".encode() for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, body)

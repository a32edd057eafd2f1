"""Helpers for tests that run against the real infrastructure (started by ``scripts/infra/infra.sh up``).

Tests use the ``crm_test`` database (``TEST_DATABASE_URL`` wins) and a per-run ``KAFKA_TOPIC_PREFIX`` so that
test runs and the dev stack can share one Kafka without seeing each other's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Deleted, Folder, Product, ProductKind, Variant
from crm_common.events.topics import Topic
from crm_common.messaging.consumer import Handler
from crm_common.messaging.replay import topic_partitions
from crm_common.security import StaticKeySource, TokenVerifier

KID = "test-key"


class FakeClock:
    """Stands in for the ``time`` module of the code under test: wall and monotonic time move only when told."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def kafka_servers() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def test_database_url() -> str:
    """``TEST_DATABASE_URL``, else ``DATABASE_URL`` (or the local default) with the database renamed ``crm_test``."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    base = make_url(os.environ.get("DATABASE_URL", "postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm"))
    return base.set(database="crm_test").render_as_string(hide_password=False)


def unique_topic_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Run an ASGI app with uvicorn on a real socket in a thread; yield its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.asynccontextmanager
async def topic_reader(topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_servers(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


def _parse(record: Any) -> EventEnvelope | None:
    """Envelopes only: junk that a test put on a topic on purpose is skipped."""
    try:
        return EventEnvelope.from_bytes(record.value) if record.value else None
    except ValueError:
        return None


async def read_events(
    topic: str, *, expect: int | None = None, idle: float = 2.0, timeout: float = 60.0
) -> list[EventEnvelope]:
    """Read a topic from the start until ``expect`` events arrived, or nothing new came for ``idle`` seconds."""
    events: list[EventEnvelope] = []
    deadline = time.monotonic() + timeout
    async with topic_reader(topic) as consumer:
        last = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            records = [r for rs in batch.values() for r in rs]
            events += [e for e in map(_parse, records) if e is not None]
            if records:
                last = time.monotonic()
            if expect is not None and len(events) >= expect:
                break
            if expect is None and time.monotonic() - last > idle:
                break
            await asyncio.sleep(0)
    return events


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported by tests


# ---------------------------------------------------------------- helpers for services' pipeline and API tests


async def apply(sessions: async_sessionmaker[AsyncSession], handler: Handler, *events: EventEnvelope) -> None:
    """Apply events through a use case, one transaction each, as the consumer does (without the inbox)."""
    for event in events:
        async with transaction(sessions) as session:
            await handler(session, event)


class TokenMint:
    """An Ed25519 key the test owns, the verifier that trusts it, and access tokens signed with it."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.verifier = TokenVerifier(
            StaticKeySource({KID: self.key.public_key()}), algorithm="EdDSA", issuer="crm-auth", audience="crm-api"
        )

    def token(self, *permissions: str, ttl: int = 300) -> str:
        now = int(time.time())
        claims = {
            "iss": "crm-auth",
            "aud": "crm-api",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "sub": "user-1",
            "sid": str(uuid.uuid4()),
            "jti": str(uuid.uuid4()),
            "permissions": list(permissions),
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})

    def headers(self, *permissions: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions)}"}


async def publish(producer: AIOKafkaProducer, topic: Topic, *events: EventEnvelope | tuple[str, bytes]) -> None:
    """Send events (or raw ``(key, bytes)`` pairs) in order and wait for Kafka to acknowledge each."""
    for event in events:
        if isinstance(event, EventEnvelope):
            key, value = event.entity_id, event.to_bytes()
        else:
            key, value = event
        await producer.send_and_wait(topic.name, value, key=key.encode())


async def wait_drained(group_id: str, topics: Iterable[Topic], timeout: float = 45.0) -> None:
    """Wait until ``group_id`` has committed every message now on ``topics`` (that is, handled all of them)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await consumer.start()
    await admin.start()
    try:
        # the partitions each topic really has (its creator's KAFKA_TOPIC_PARTITIONS, or a topic's own count)
        partitions = await topic_partitions(kafka_servers(), [t.name for t in topics])
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group_id)
            behind = {
                tp: end for tp, end in ends.items() if end > 0 and (tp not in committed or committed[tp].offset < end)
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer group {group_id} did not catch up: {behind}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
        await consumer.stop()


async def eventually(check: Any, timeout: float = 30.0) -> Any:
    """Call the async ``check`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def assert_logout_refused(client: Any, path: str, token: str, redis_url: str) -> None:
    """The service itself refuses ``token`` once its session is revoked the way auth's logout revokes it.

    ``client`` is an ``httpx.AsyncClient`` talking to the service directly (not through the gateway). The token must
    work first, so a 401 afterwards is the revocation's doing; the service may trust its cached "live" answer for
    ``REVOCATION_CACHE_SECONDS`` (1 s by default), hence the short wait.
    """
    from redis.asyncio import Redis

    from crm_common.security.revocation import RevocationStore

    headers = {"Authorization": f"Bearer {token}"}
    before = await client.get(path, headers=headers)
    assert before.status_code == 200, before.text
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    redis = Redis.from_url(redis_url)
    try:
        await RevocationStore(redis).revoke(sid, 60)
    finally:
        await redis.aclose()

    async def refused() -> Any:
        response = await client.get(path, headers=headers)
        return response if response.status_code != 200 else None

    after = await eventually(refused, timeout=5.0)
    assert after.status_code == 401, after.text
    assert after.json() == {"error": "Unauthorized", "detail": "session has been revoked"}


# ---------------------------------------------------------------- canonical catalog events for tests

ACCOUNT = "acc-test"
BASE_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def at(version: int) -> datetime:
    return BASE_TIME + timedelta(seconds=version)


def product_event(product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": product_id, "kind": ProductKind.PRODUCT, "name": f"Product {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "product.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=product_id,
        source_version=version,
        payload=Product(**values),
    )


def deleted_event(entity: str, entity_id: str, version: int) -> EventEnvelope:
    return make_event(
        f"{entity}.deleted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=entity_id,
        source_version=version,
        payload=Deleted(id=entity_id, deleted_at=at(version)),
    )


def folder_event(folder_id: str, version: int, name: str, parent_id: str | None = None, **fields: Any) -> EventEnvelope:
    payload = Folder(id=folder_id, name=name, parent_id=parent_id, updated_at=at(version), **fields)
    return make_event(
        "folder.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=folder_id,
        source_version=version,
        payload=payload,
    )


def variant_event(variant_id: str, product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": variant_id, "product_id": product_id, "name": f"Variant {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "variant.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=variant_id,
        source_version=version,
        payload=Variant(**values),
    )


@contextlib.contextmanager
def slow_commits(seconds: float = 0.3) -> Iterator[None]:
    """Make every ORM commit wait ``seconds`` in PostgreSQL first (``pg_sleep``, so an app's event loop stays free
    meanwhile): a write whose commit runs after its answer was sent then shows up late to the read that follows it."""
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    def slow(session: Session) -> None:
        session.execute(text("select pg_sleep(:s)"), {"s": seconds})

    event.listen(Session, "before_commit", slow)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", slow)

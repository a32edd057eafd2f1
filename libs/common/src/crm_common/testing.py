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
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import make_url

from crm_common.events.envelope import EventEnvelope


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

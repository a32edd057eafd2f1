"""Where the test infrastructure is (started by ``scripts/infra/infra.sh up``), and real sockets for apps under test.

Tests use the ``crm_test`` database (``TEST_DATABASE_URL`` wins), Redis database 15 (``TEST_REDIS_URL`` wins) and a
per-run ``KAFKA_TOPIC_PREFIX``, so that test runs and the dev stack share one Kafka without seeing each other's events
(docs/architecture.md, "Tests").
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url


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


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported by tests


def unique_topic_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}."


def use_test_environment(*, redis: bool = False, extra: Mapping[str, str] | None = None) -> None:
    """Point the settings a service reads from its environment at the test infrastructure, before any is built.

    A run's own topic prefix unless ``scripts/run_tests.py`` already gave the suite one (it deletes those topics
    afterwards), the test database, the test Redis when ``redis``, ``ENVIRONMENT=test``, then ``extra``.
    """
    if not os.environ.get("KAFKA_TOPIC_PREFIX", "").startswith("test-"):
        os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
    os.environ["DATABASE_URL"] = test_database_url()
    if redis:
        os.environ["REDIS_URL"] = redis_url()
    os.environ["ENVIRONMENT"] = "test"
    os.environ.update(extra or {})


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

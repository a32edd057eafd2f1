"""Where the test infrastructure is (started by ``scripts/infra/infra.sh up``), and real sockets for apps under test.

Tests use the ``crm_test`` database (``TEST_DATABASE_URL`` wins), Redis database 15 (``TEST_REDIS_URL`` wins) and a
per-run ``KAFKA_TOPIC_PREFIX``, so that test runs and the dev stack share one Kafka without seeing each other's events
(docs/architecture.md, "Tests").
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from sqlalchemy.engine import make_url


def kafka_servers() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def redis_url(db: int = 15) -> str:
    """``TEST_REDIS_URL``, else the Redis of ``REDIS_URL`` (or the local default) with database ``db``: a test never
    shares the database of a running system (0), and the infra may sit on another port (``INFRA_REDIS_PORT``)."""
    if url := os.environ.get("TEST_REDIS_URL"):
        return url
    base = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit(base._replace(path=f"/{db}"))


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


_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()
_LOWEST = 10_000


def free_port() -> int:
    """A port of 127.0.0.1 nothing is bound to, never one this process handed out before.

    Taken below the kernel's range for the local ports of outgoing connections when there is room there: a port found
    by binding port 0 comes from that range, where a client's connection (Kafka's, PostgreSQL's) can take it before
    the server it was meant for binds, and where the kernel hands the same port out again once the probe is closed —
    two services of one test system were once given one port, and the second exited on "address already in use".
    """
    ephemeral_low, _ = _ephemeral_range()
    with _HANDING_OUT:
        for _ in range(1_000):
            port = random.randrange(_LOWEST, ephemeral_low) if ephemeral_low - _LOWEST >= 1_000 else _kernel_port()  # noqa: S311
            if port not in _HANDED_OUT and _bindable(port):
                _HANDED_OUT.add(port)
                return port
    raise RuntimeError(f"no free port found on 127.0.0.1 ({len(_HANDED_OUT)} handed out by this process)")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999  # Linux's default


def _kernel_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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

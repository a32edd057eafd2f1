"""Running a service process: clear start-up failures instead of bare stack traces."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from pydantic import ValidationError
from uvicorn.supervisors import Multiprocess

from crm_common.errors import InfrastructureMissing


def fail(message: str, code: int = 2) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def load_settings(factory: Callable[[], Any]) -> Any:
    """Build settings, turning a validation failure into one readable line per bad variable."""
    try:
        return factory()
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        fail("invalid configuration:\n" + "\n".join(lines))


def serve(
    app: Any, *, host: str, port: int, service: str, log_level: str = "info", workers: int = 1, factory: bool = False
) -> None:
    """Run ``app`` with uvicorn; a missing piece of infrastructure exits 2 naming the part and its address.

    With ``workers > 1``, ``app`` must be an import string (each worker process imports it; ``factory`` if it names a
    function that builds the app): the workers share one listening socket and uvicorn's supervisor restarts a worker
    that dies.
    """
    if workers > 1 and not isinstance(app, str):
        fail(f"{service}: several workers need the app as an import string")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        proxy_headers=True,
        server_header=False,
        timeout_keep_alive=30,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        workers=workers,
        factory=factory,
        # How long the supervisor waits for a worker to start or to answer its ping before replacing it. uvicorn's
        # 5 s kills workers that are still importing on a busy 2-core node, which then never come up.
        timeout_worker_healthcheck=30,
    )
    if workers > 1:
        # uvicorn.Server runs one process whatever ``workers`` says; the supervisor forks them.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    try:
        server.run()
    except InfrastructureMissing as exc:
        fail(f"{service} cannot start: {exc}")
    if not server.started:
        fail(f"{service} did not start (see the log above)", code=3)


def preflight(settings: Any, *, service: str, postgres: bool, kafka: bool, redis: bool) -> None:
    """Check each piece of infrastructure before serving; exit 2 with the part and where we looked if one is down."""
    import asyncio

    from crm_common.db import check_database, create_engine
    from crm_common.messaging.broker import check_kafka
    from crm_common.runtime import check_redis

    async def run() -> None:
        if postgres:
            engine = create_engine(settings.database_url, "public", pool_size=1)
            try:
                await check_database(engine)
            finally:
                await engine.dispose()
        if kafka:
            await check_kafka(settings.kafka_bootstrap_servers)
        if redis:
            from redis.asyncio import Redis

            client = Redis.from_url(settings.redis_url, socket_connect_timeout=3.0)
            try:
                await check_redis(client, settings.redis_url)
            finally:
                await client.aclose()

    try:
        asyncio.run(run())
    except InfrastructureMissing as exc:
        fail(f"{service} cannot start: {exc}")

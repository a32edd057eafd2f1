"""A service declared as data, and the one start-up that runs it (docs/architecture.md, "Start-up").

A service states what it is (``ServiceSpec``): its schema, routers, the topics it needs, how it registers its
consumers, its outbox, the background tasks that run beside them and what it adds to ``app.state``. ``build_app``
turns that into the FastAPI app with one lifespan, the same for every service:

1. open the runtime: PostgreSQL (the service's schema; none without one), Kafka when the process consumes (or always
   publishes), Redis when asked; each adds its health check to the ones the app already has;
2. put the runtime's pieces on ``app.state`` (sessions, token verifier, session revocation check), then run the spec's
   ``state`` hook (plain or async: it may check the schema, seed data, replace the token verifier, or open clients
   it hands to ``Running.close_later``);
3. with Kafka (a process that consumes, or a spec that always publishes): create the spec's topics
   (``<SVC>_CREATE_TOPICS``), register its consumers (``<SVC>_CONSUME_EVENTS``), start the broker and the outbox relay;
4. start the background tasks;

and on the way out stops them in reverse order, closes what the hook opened and closes the runtime. ``serve_command``
is the matching command line (``crm-<svc> serve | migrate`` plus the service's own commands; ``after_migrate`` runs
after the schema upgrade; no ``migrate`` without a schema; ``serve --host --port --workers`` when the spec names an
``app_factory``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.cli import load_settings, preflight, serve
from crm_common.events.topics import Topic
from crm_common.logging import configure_logging, get_logger
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.outbox import OutboxRelay
from crm_common.messaging.publisher import EventPublisher
from crm_common.runtime import Runtime
from crm_common.security.jwt import TokenVerifier
from crm_common.settings import ServiceSettings
from crm_common.web.app import create_service_app

log = get_logger(__name__)


@runtime_checkable
class TopicSettings(Protocol):
    """What a Kafka service's settings say about creating its topics."""

    create_topics: bool


@runtime_checkable
class ConsumerSettings(TopicSettings, Protocol):
    """What a consuming service's settings say about its Kafka side."""

    consume_events: bool
    consumer_group: str


class Stoppable(Protocol):
    async def stop(self) -> None: ...


@dataclass
class Running:
    """What a spec's hooks get while the service starts: the app, its open runtime and its settings."""

    app: FastAPI
    runtime: Runtime
    settings: Any  # the service's own settings class
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self.runtime.sessions is not None
        return self.runtime.sessions

    def close_later(self, close: Callable[[], Awaitable[object]]) -> None:
        """Close what a hook opened (an HTTP client, a session) when the service stops, before the runtime."""
        self.closers.append(close)


class Closer:
    """A ``close_later`` callback as one of the things stopped in reverse order."""

    def __init__(self, close: Callable[[], Awaitable[object]]) -> None:
        self.close = close

    async def stop(self) -> None:
        await self.close()


class BackgroundTask:
    """A coroutine run beside the service as an asyncio task, cancelled when the service stops."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.task: asyncio.Task[None] = asyncio.create_task(run(), name=name)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


Consumers = Callable[[KafkaBroker, async_sessionmaker[AsyncSession], Any], object]
Task = Callable[[Running], Stoppable | None]  # returns None when its setting turns it off


@dataclass(frozen=True)
class Outbox:
    table: Table
    interval: Callable[[Any], timedelta] = lambda settings: timedelta(milliseconds=500)


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # logs, metrics, the command line (crm-<name>)
    title: str
    description: str
    root: Path  # services/<svc>: alembic.ini and migrations/
    schema: str | None  # None: the service owns no schema (the gateway), so no PostgreSQL and no `migrate`
    routers: Sequence[APIRouter]
    topics: Sequence[Topic] = ()  # created at start-up when <SVC>_CREATE_TOPICS
    consumers: Consumers | None = None
    outbox: Outbox | None = None
    redis: bool = False  # open Redis for the service's own use (the revocation check opens its own when needed)
    always_kafka: bool = False  # open Kafka even when this process consumes nothing (its outbox publishes)
    state: Callable[[Running], Awaitable[None] | None] | None = None  # what the service adds to app.state
    background: Sequence[Task] = field(default_factory=tuple)
    middleware: Callable[[FastAPI, Any], None] | None = None  # adds the service's own middleware to the app
    after_migrate: Callable[[Any], None] | None = None  # `migrate` runs it after the schema upgrade
    # The command line: its description (default: ``description``), what `serve` says it runs, and for a service
    # that can serve with several worker processes the import string of its app factory (adds --host, --port and
    # --workers to `serve`; the default comes from the settings' ``workers``).
    cli_description: str | None = None
    serve_help: str = "run the HTTP API and the Kafka consumers"
    app_factory: str | None = None

    def kafka(self, settings: ServiceSettings) -> bool:
        """Whether the process opens Kafka: the spec always publishes, or it has consumers and they are on."""
        if self.always_kafka:
            return True
        return self.consumers is not None and _consumer(settings).consume_events


def _consumer(settings: ServiceSettings) -> ConsumerSettings:
    if not isinstance(settings, ConsumerSettings):
        raise TypeError(f"{type(settings).__name__} lacks consume_events / create_topics / consumer_group")
    return cast(ConsumerSettings, settings)


def _creates_topics(spec: ServiceSpec, settings: ServiceSettings) -> bool:
    if not spec.topics:
        return False
    if not isinstance(settings, TopicSettings):
        raise TypeError(f"{type(settings).__name__} lacks create_topics, and {spec.name} declares topics")
    return settings.create_topics


def build_app(spec: ServiceSpec, settings: ServiceSettings, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    """The service's app; connections are opened in its lifespan, never at import."""
    kafka = spec.kafka(settings)
    consumer = _consumer(settings) if spec.consumers is not None and kafka else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.open(
            settings, schema=spec.schema, kafka=kafka, redis=spec.redis, client_id=f"crm-{spec.name}"
        )
        running = Running(app, rt, settings)
        app.state.runtime = rt
        app.state.sessions = rt.sessions
        app.state.health_checks.update(rt.checks)
        app.state.token_verifier = token_verifier or rt.token_verifier()
        app.state.session_check = rt.session_check()
        started: list[Stoppable] = []
        try:
            if spec.state is not None and inspect.isawaitable(prepared := spec.state(running)):
                await prepared
            started.extend(Closer(close) for close in running.closers)
            running.closers.clear()
            if rt.broker is not None:
                await _start_kafka(spec, running, rt.broker, consumer, started)
            for task in spec.background:
                if (handle := task(running)) is not None:
                    started.append(handle)
            if settings.gc_freeze:
                freeze_heap()
            if settings.gc_young_threshold:
                collect_young_after(settings.gc_young_threshold)
            yield
        finally:
            started.extend(Closer(close) for close in running.closers)  # a state hook that failed half-way
            for handle in reversed(started):
                await handle.stop()
            await rt.close()

    app = create_service_app(
        service=spec.name, title=spec.title, description=spec.description, routers=spec.routers, lifespan=lifespan
    )
    app.state.settings = settings
    if spec.middleware is not None:
        spec.middleware(app, settings)
    return app


def freeze_heap() -> None:
    """Collect what start-up left as garbage, then move every object still alive into the collector's permanent
    generation: what a service holds from start-up on is never garbage, and a full collection no longer walks it.
    In a service-sized heap (~145,000 objects) that was half of what parsing an event cost (21 against 41-45 µs)."""
    gc.collect()
    gc.freeze()


def collect_young_after(allocations: int) -> None:
    """Let the garbage collector look at the youngest generation only after ``allocations`` container objects (net),
    the older generations' triggers unchanged. A consumer's batch is alive while it is applied: at CPython's 700 its
    events were walked at every collection and promoted, then walked again in the older generations, before the batch
    ended and they were freed by their reference counts anyway (docs/operations.md, "Memory and garbage collection")."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(allocations, middle, old)


async def _start_kafka(
    spec: ServiceSpec,
    running: Running,
    broker: KafkaBroker,
    consumer: ConsumerSettings | None,
    started: list[Stoppable],
) -> None:
    """Create the declared topics, register the consumers, start the broker and the outbox relay."""
    settings = running.settings
    if _creates_topics(spec, settings):
        await ensure_topics(settings.kafka_bootstrap_servers, spec.topics)
    consuming = consumer is not None and consumer.consume_events
    if consuming and spec.consumers is not None:
        spec.consumers(broker, running.sessions, settings)
    await broker.start()
    if spec.outbox is not None:
        interval = spec.outbox.interval(settings).total_seconds()
        relay = OutboxRelay(running.sessions, spec.outbox.table, EventPublisher(broker), interval=interval)
        relay.start()
        started.append(relay)
    if consumer is not None:
        log.info(f"{spec.name} started", consuming=consuming, group=consumer.consumer_group)
    else:
        log.info(f"{spec.name} started", consuming=False)


Command = Callable[[argparse.Namespace, Any], None]


def serve_command(
    spec: ServiceSpec,
    settings_factory: Callable[[], ServiceSettings],
    create_app: Callable[[Any], FastAPI],
    argv: list[str] | None = None,
    *,
    commands: Mapping[str, tuple[str, Command, Callable[[argparse.ArgumentParser], None] | None]] | None = None,
) -> None:
    """``crm-<name> serve | migrate`` and the service's own ``commands`` (name → help, run, add arguments)."""
    parser = argparse.ArgumentParser(prog=f"crm-{spec.name}", description=spec.cli_description or spec.description)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_arguments(spec, sub.add_parser("serve", help=spec.serve_help))
    if spec.schema is not None:
        sub.add_parser("migrate", help=f"upgrade schema `{spec.schema}` to the latest revision")
    for name, (help_text, _, arguments) in (commands or {}).items():
        command = sub.add_parser(name, help=help_text)
        if arguments is not None:
            arguments(command)
    args = parser.parse_args(argv)
    settings = load_settings(settings_factory)
    configure_logging(spec.name, settings.log_level, settings.log_json)
    if args.command == "migrate":
        from crm_common.migrations import upgrade

        preflight(settings, service=spec.name, postgres=True, kafka=False, redis=False)
        upgrade(spec.root, settings.database_url)
        if spec.after_migrate is not None:
            spec.after_migrate(settings)
    elif args.command == "serve":
        _serve(spec, settings, create_app, args)
    else:
        (commands or {})[args.command][1](args, settings)


def _serve_arguments(spec: ServiceSpec, command: argparse.ArgumentParser) -> None:
    if spec.app_factory is None:
        return
    prefix = spec.name.upper().replace("-", "_")
    command.add_argument("--host", default=None, help="listen address (default HTTP_HOST)")
    command.add_argument("--port", type=int, default=None, help=f"listen port (default {prefix}_PORT)")
    command.add_argument("--workers", type=int, default=None, help=f"worker processes (default {prefix}_WORKERS)")


def _serve(spec: ServiceSpec, settings: Any, create_app: Callable[[Any], FastAPI], args: argparse.Namespace) -> None:
    kafka = spec.kafka(settings)
    preflight(settings, service=spec.name, postgres=spec.schema is not None, kafka=kafka, redis=spec.redis)
    workers = 1
    if spec.app_factory is not None:
        workers = args.workers or settings.workers
    # Several workers need an import string: uvicorn starts each worker from it.
    app: object = spec.app_factory if workers > 1 else create_app(settings)
    serve(
        app,
        host=getattr(args, "host", None) or settings.http_host,
        port=getattr(args, "port", None) or settings.port,
        service=spec.name,
        log_level=settings.log_level,
        workers=workers,
        factory=workers > 1,
    )

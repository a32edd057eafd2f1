"""The declared start-up (crm_common.service) against the real PostgreSQL: what it opens, the order in which it
starts and stops the service's pieces, and the command line."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_common.security import StaticKeySource, TokenVerifier
from crm_common.service import Running, ServiceSpec, build_app, serve_command
from crm_common.settings import ServiceSettings
from crm_testing import kafka_servers, test_database_url

events: list[str] = []
router = APIRouter()


@router.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    consume_events: bool = Field(default=False)
    create_topics: bool = Field(default=False)
    consumer_group: str = Field(default="demo")
    greeting: str = Field(default="hi")


class Handle:
    def __init__(self, name: str) -> None:
        self.name = name
        events.append(f"start {name}")

    async def stop(self) -> None:
        events.append(f"stop {self.name}")


def state(running: Running) -> None:
    running.app.state.greeting = running.settings.greeting
    events.append("state")


SPEC = ServiceSpec(
    name="demo",
    title="Demo",
    description="A service declared for the test.",
    root=Path(__file__).parent,
    schema="public",
    routers=(router,),
    state=state,
    background=(lambda running: Handle("first"), lambda running: None, lambda running: Handle("second")),
)


def verifier() -> TokenVerifier:
    return TokenVerifier(StaticKeySource({}), algorithm="EdDSA", issuer="crm-auth", audience="crm-api")


async def test_the_declared_service_starts_its_pieces_in_order_and_stops_them_in_reverse() -> None:
    events.clear()
    settings = DemoSettings(database_url=test_database_url())
    app = build_app(SPEC, settings, token_verifier=verifier())
    async with app.router.lifespan_context(app):
        assert app.state.greeting == "hi"
        assert app.state.sessions is not None
        assert app.state.runtime.broker is None  # consumes nothing and publishes nothing: no Kafka
        assert set(app.state.health_checks) == {"postgres"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            assert (await client.get("/hello")).json() == {"hello": "world"}
            assert (await client.get("/health/ready")).status_code == 200
        assert events == ["state", "start first", "start second"]
    assert events[3:] == ["stop second", "stop first"]


def test_a_consuming_service_refuses_settings_without_the_consumer_fields() -> None:
    consuming = dataclasses.replace(SPEC, consumers=lambda broker, sessions, settings: None)
    with pytest.raises(TypeError, match="consume_events"):
        build_app(consuming, ServiceSettings())


async def test_a_service_that_consumes_nothing_starts_on_plain_settings_with_its_async_state_and_middleware() -> None:
    """Auth's shape: no consumer fields, an async ``state`` hook, its own middleware, Redis for itself."""
    seen: list[str] = []

    async def prepare(running: Running) -> None:
        seen.append("prepared")
        running.app.state.prepared = True

    def middleware(app: FastAPI, settings: Any) -> None:
        @app.middleware("http")
        async def tag(request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            response.headers["x-demo"] = "tagged"
            return response

    spec = dataclasses.replace(SPEC, state=prepare, background=(), middleware=middleware, redis=True)
    app = build_app(spec, ServiceSettings(database_url=test_database_url()), token_verifier=verifier())
    async with app.router.lifespan_context(app):
        assert seen == ["prepared"]
        assert app.state.prepared
        assert app.state.runtime.broker is None
        assert set(app.state.health_checks) == {"postgres", "redis"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            assert (await client.get("/hello")).headers["x-demo"] == "tagged"


def test_the_command_line_runs_the_services_own_commands_with_their_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    def greet(args: argparse.Namespace, settings: DemoSettings) -> None:
        seen.append((args.name, settings.greeting))

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", required=True)

    monkeypatch.setenv("DEMO_GREETING", "привет")

    def never(settings: Any) -> FastAPI:
        raise AssertionError("greet must not build the app")

    commands = {"greet": ("say hello", greet, arguments)}
    serve_command(SPEC, DemoSettings, never, ["greet", "--name", "Ольга"], commands=commands)
    assert seen == [("Ольга", "привет")]
    with pytest.raises(SystemExit):
        serve_command(SPEC, DemoSettings, never, ["unknown"], commands=commands)


class PublisherSettings(ServiceSettings):
    """A connector's shape: it creates its topics, but has no consumer fields."""

    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    create_topics: bool = Field(default=True)


async def test_a_service_that_only_publishes_creates_its_topics_and_starts_kafka_without_consumer_fields() -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from crm_common.events.topics import Topic

    topic = Topic(f"demo.published.{uuid.uuid4().hex[:8]}.v1", "what the demo publishes")
    spec = dataclasses.replace(SPEC, state=None, background=(), topics=(topic,), always_kafka=True)
    settings = PublisherSettings(database_url=test_database_url(), kafka_bootstrap_servers=kafka_servers())
    app = build_app(spec, settings, token_verifier=verifier())
    async with app.router.lifespan_context(app):
        assert app.state.runtime.broker is not None
        assert set(app.state.health_checks) == {"postgres", "kafka"}
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        assert topic.name in await admin.list_topics()
        await admin.delete_topics([topic.name])
    finally:
        await admin.close()


async def test_a_service_without_a_schema_opens_no_database_and_closes_what_its_hook_opened_after_its_tasks() -> None:
    """The gateway's shape: no schema, Redis, clients opened by the state hook and closed on the way out."""
    events.clear()

    def prepare(running: Running) -> None:
        events.append("state")

        async def close() -> None:
            events.append("closed client")

        running.close_later(close)

    spec = dataclasses.replace(SPEC, schema=None, redis=True, state=prepare, background=(lambda r: Handle("feed"),))
    app = build_app(spec, ServiceSettings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    async with app.router.lifespan_context(app):
        assert app.state.sessions is None
        assert set(app.state.health_checks) == {"redis"}
        assert events == ["state", "start feed"]
    assert events[2:] == ["stop feed", "closed client"]


def test_a_service_without_a_schema_has_no_migrate_and_a_multi_worker_one_takes_workers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def never(settings: Any) -> FastAPI:
        raise AssertionError("no app is built for --help")

    spec = dataclasses.replace(SPEC, schema=None, app_factory="demo:factory", serve_help="serve the demo")
    with pytest.raises(SystemExit) as refused:
        serve_command(spec, DemoSettings, never, ["migrate"])
    assert refused.value.code == 2
    with pytest.raises(SystemExit):
        serve_command(spec, DemoSettings, never, ["serve", "--help"])
    assert "--workers WORKERS" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        serve_command(SPEC, DemoSettings, never, ["serve", "--help"])
    assert "--workers" not in capsys.readouterr().out


@pytest.mark.parametrize("freeze", [True, False])
async def test_a_started_service_moves_what_start_up_left_alive_out_of_the_collectors_way(freeze: bool) -> None:
    """``GC_FREEZE`` (on unless a test process turns it off): the objects alive once the service has started are in
    the collector's permanent generation, start-up's own garbage collected first."""
    spec = dataclasses.replace(SPEC, schema=None, redis=False, state=None, background=())
    app = build_app(spec, ServiceSettings(gc_freeze=freeze), token_verifier=verifier())
    assert gc.get_freeze_count() == 0
    try:
        async with app.router.lifespan_context(app):
            assert (gc.get_freeze_count() > 0) is freeze
            # The permanent generation is not among the ones gc.get_objects() lists.
            assert any(o is app.router for o in gc.get_objects()) is not freeze
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("young", [0, 20_000])
async def test_a_started_service_collects_its_young_generation_after_the_threshold_set(young: int) -> None:
    """``GC_YOUNG_THRESHOLD``: once started, the collector's youngest generation waits for that many allocations (the
    older generations' triggers unchanged); 0 leaves the interpreter's thresholds as they were."""
    spec = dataclasses.replace(SPEC, schema=None, redis=False, state=None, background=())
    app = build_app(spec, ServiceSettings(gc_freeze=False, gc_young_threshold=young), token_verifier=verifier())
    before = gc.get_threshold()
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_threshold() == (young or before[0], *before[1:])
    finally:
        gc.set_threshold(*before)

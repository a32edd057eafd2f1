"""The declared start-up (crm_common.service) against the real PostgreSQL: what it opens, the order in which it
starts and stops the service's pieces, and the command line."""

from __future__ import annotations

import argparse
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
from crm_common.testing import test_database_url

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


def test_settings_without_the_consumer_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="consume_events"):
        build_app(SPEC, ServiceSettings())


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

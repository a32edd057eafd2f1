"""``bitrix24-simulator serve``: run the simulator with uvicorn."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import uvicorn

from bitrix24_simulator.app import create_app
from bitrix24_simulator.data.generator import generate
from bitrix24_simulator.settings import Scale, Settings, Tariff


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitrix24-simulator", description="Bitrix24 REST API simulator")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="generate a portal and serve it over HTTP")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--scale", choices=[s.value for s in Scale])
    serve.add_argument("--seed", type=int)
    serve.add_argument("--anchor", help="end of generated history, Moscow time 'YYYY-MM-DD HH:MM:SS'")
    serve.add_argument("--tariff", choices=[t.value for t in Tariff])
    serve.add_argument("--live", action="store_true", default=None, help="keep changing data like a working CRM")
    serve.add_argument("--live-interval", type=float, dest="live_interval_seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    settings = Settings(**overrides)
    started = time.perf_counter()
    portal = generate(settings)
    sizes = ", ".join(f"{k}={len(v)}" for k, v in portal.tables.items() if v)
    elapsed = time.perf_counter() - started
    print(f"bitrix24-simulator: generated {settings.scale.value} portal in {elapsed:.2f}s ({sizes})")
    code = settings.webhook_code.get_secret_value()
    print(f"bitrix24-simulator: webhook http://{settings.host}:{settings.port}/rest/{settings.webhook_user_id}/{code}/")
    uvicorn.run(create_app(settings, portal), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

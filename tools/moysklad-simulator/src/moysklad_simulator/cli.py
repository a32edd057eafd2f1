"""``moysklad-simulator serve``: run the simulator with uvicorn."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

import uvicorn

from moysklad_simulator.app import create_app
from moysklad_simulator.data.generator import generate
from moysklad_simulator.settings import Scale, Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moysklad-simulator", description="MoySklad JSON API 1.2 simulator")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="generate a shop and serve it over HTTP")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--scale", choices=[s.value for s in Scale])
    serve.add_argument("--seed", type=int)
    serve.add_argument("--live", action="store_true", default=None, help="keep changing data like a working shop")
    serve.add_argument("--live-interval", type=float, dest="live_interval_seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    if "MOYSKLAD_SIM_LIST_CACHE" not in os.environ:
        overrides["list_cache"] = True  # only this process's API can change its records
    settings = Settings(**overrides)
    started = time.perf_counter()
    state = generate(settings)
    sizes = ", ".join(f"{k}={len(v)}" for k, v in state.tables.items() if v)
    elapsed = time.perf_counter() - started
    print(f"moysklad-simulator: generated {settings.scale.value} shop in {elapsed:.2f}s ({sizes})")
    print(
        f"moysklad-simulator: http://{settings.host}:{settings.port}/api/remap/1.2 "
        f"login {settings.login}, token {settings.token.get_secret_value()}"
    )
    uvicorn.run(create_app(settings, state), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()

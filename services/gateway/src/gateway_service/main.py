"""``crm-gateway``: run the public API gateway."""

from __future__ import annotations

import argparse

from crm_common.cli import load_settings, preflight, serve
from crm_common.logging import configure_logging
from gateway_service.settings import GatewaySettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-gateway", description="The public API gateway of the CRM.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the public API (default port 8000)")
    run.add_argument("--host", default=None, help="listen address (default HTTP_HOST)")
    run.add_argument("--port", type=int, default=None, help="listen port (default GATEWAY_PORT)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default GATEWAY_WORKERS)")
    commands.add_parser("routes", help="print the routing table")
    args = parser.parse_args(argv)

    settings: GatewaySettings = load_settings(GatewaySettings)
    if args.command == "routes":
        print_routes(settings)
        return
    configure_logging("gateway", settings.log_level, settings.log_json)
    preflight(settings, service="gateway", postgres=False, kafka=False, redis=True)
    workers = args.workers or settings.workers
    # Several workers need an import string: uvicorn starts each worker from it.
    app: object = "gateway_service.app:app_factory" if workers > 1 else _app(settings)
    serve(
        app,
        host=args.host or settings.http_host,
        port=args.port or settings.port,
        service="gateway",
        log_level=settings.log_level,
        workers=workers,
        factory=workers > 1,
    )


def _app(settings: GatewaySettings) -> object:
    from gateway_service.app import create_app

    return create_app(settings)


def print_routes(settings: GatewaySettings) -> None:
    from gateway_service.routing.table import build_routes

    for route in build_routes(settings):
        read = ",".join(sorted(route.read)) or "authenticated"
        write = ",".join(sorted(route.write)) or "authenticated"
        print(f"{route.prefix:32} -> {route.service:20} {route.upstream:28} read={read} write={write}")

"""``crm-gateway serve | routes``: run the public API gateway (crm_common.service), or print its routing table."""

from __future__ import annotations

import argparse

from crm_common.service import serve_command
from gateway_service.settings import GatewaySettings


def main(argv: list[str] | None = None) -> None:
    from gateway_service.app import SPEC, create_app

    def routes(args: argparse.Namespace, settings: GatewaySettings) -> None:
        print_routes(settings)

    serve_command(
        SPEC, GatewaySettings, create_app, argv, commands={"routes": ("print the routing table", routes, None)}
    )


def print_routes(settings: GatewaySettings) -> None:
    from gateway_service.routing.table import build_routes

    for route in build_routes(settings):
        read = ",".join(sorted(route.read)) or "authenticated"
        write = ",".join(sorted(route.write)) or "authenticated"
        print(f"{route.prefix:32} -> {route.service:20} {route.upstream:28} read={read} write={write}")

"""`crm-analytics serve | migrate | rebuild | check-revenue-drop`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path

from analytics_service.settings import AnalyticsSettings
from crm_common.cli import load_settings, preflight, serve
from crm_common.logging import configure_logging

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def _serve(settings: AnalyticsSettings) -> None:
    from analytics_service.app import create_app

    preflight(settings, service="analytics", postgres=True, kafka=True, redis=True)
    serve(
        create_app(settings),
        host=settings.http_host,
        port=settings.port,
        service="analytics",
        log_level=settings.log_level,
    )


def _migrate(settings: AnalyticsSettings) -> None:
    from crm_common.migrations import upgrade

    upgrade(SERVICE_ROOT, settings.database_url)


def _rebuild(settings: AnalyticsSettings) -> None:
    from analytics_service.projections.rebuild import rebuild

    configure_logging("analytics", settings.log_level, settings.log_json)
    result = asyncio.run(rebuild(settings))
    print(
        f"rebuild {result.generation}: applied {result.applied} events, caught up {result.caught_up}, "
        f"skipped {result.skipped}, {result.seconds:.1f}s"
    )


def _check_revenue_drop(settings: AnalyticsSettings, day: date | None) -> None:
    from analytics_service.alerts.revenue_drop import check_revenue_drop, last_complete_day
    from analytics_service.db import SCHEMA
    from crm_common.db import create_engine, session_factory, transaction

    async def run() -> None:
        engine = create_engine(settings.database_url, SCHEMA, pool_size=1)
        try:
            async with transaction(session_factory(engine)) as session:
                alert = await check_revenue_drop(session, settings, day or last_complete_day(settings))
            print(f"raised {alert.id}" if alert else "no revenue drop")
        finally:
            await engine.dispose()

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-analytics", description="Analytics service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the HTTP API and the event consumers")
    sub.add_parser("migrate", help="upgrade schema `analytics` to the newest revision")
    sub.add_parser("rebuild", help="replay the topics into fresh projection tables and swap them in")
    check = sub.add_parser("check-revenue-drop", help="raise a revenue-drop alert for a day if it qualifies")
    check.add_argument("--day", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    settings: AnalyticsSettings = load_settings(AnalyticsSettings)
    if args.command == "serve":
        _serve(settings)
    elif args.command == "migrate":
        _migrate(settings)
    elif args.command == "rebuild":
        _rebuild(settings)
    else:
        _check_revenue_drop(settings, args.day)


if __name__ == "__main__":
    main()

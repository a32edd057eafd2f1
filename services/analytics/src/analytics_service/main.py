"""`crm-analytics serve | migrate | rebuild | check-revenue-drop`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from analytics_service.settings import AnalyticsSettings
from crm_common.logging import configure_logging
from crm_common.service import serve_command


def _rebuild(args: argparse.Namespace, settings: AnalyticsSettings) -> None:
    from analytics_service.pipeline.rebuild import rebuild

    configure_logging("analytics", settings.log_level, settings.log_json)
    result = asyncio.run(rebuild(settings))
    print(
        f"rebuild {result.generation}: applied {result.applied} events, caught up {result.caught_up}, "
        f"skipped {result.skipped}, {result.seconds:.1f}s"
    )


def _check_revenue_drop(args: argparse.Namespace, settings: AnalyticsSettings) -> None:
    from analytics_service.alerts.revenue_drop import check_revenue_drop, last_complete_day
    from analytics_service.db import SCHEMA
    from crm_common.db import run_in_transaction

    day = args.day or last_complete_day(settings)
    alert = run_in_transaction(settings, SCHEMA, lambda session: check_revenue_drop(session, settings, day))
    print(f"raised {alert.id}" if alert else "no revenue drop")


def _day_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", type=date.fromisoformat, default=None)


def main(argv: list[str] | None = None) -> None:
    from analytics_service.app import SPEC, create_app

    commands = {
        "rebuild": ("replay the topics into fresh projection tables and swap them in", _rebuild, None),
        "check-revenue-drop": (
            "raise a revenue-drop alert for a day if it qualifies",
            _check_revenue_drop,
            _day_argument,
        ),
    }
    serve_command(SPEC, AnalyticsSettings, create_app, argv, commands=commands)


if __name__ == "__main__":
    main()

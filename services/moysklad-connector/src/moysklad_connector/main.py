"""``crm-moysklad-connector serve | migrate | sync``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from crm_common.cli import fail, load_settings, preflight, serve
from crm_common.logging import configure_logging
from moysklad_connector.settings import ConnectorSettings

SERVICE = "moysklad-connector"
SERVICE_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-moysklad-connector", description="MoySklad connector")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API and run the sync scheduler")
    commands.add_parser("migrate", help="upgrade schema `moysklad` to the latest revision")
    sync = commands.add_parser("sync", help="run one sync in the foreground and exit (non-zero if it failed)")
    sync.add_argument("--mode", choices=("full", "incremental", "resume", "stock", "reconcile"), default="full")
    sync.add_argument("--integration", default="default")
    args = parser.parse_args(argv)

    settings: ConnectorSettings = load_settings(ConnectorSettings)
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if args.command == "serve":
        from moysklad_connector.app import create_app

        preflight(settings, service=SERVICE, postgres=True, kafka=True, redis=False)
        serve(
            create_app(settings),
            host=settings.http_host,
            port=settings.port,
            service=SERVICE,
            log_level=settings.log_level,
        )
    elif args.command == "migrate":
        from crm_common.migrations import upgrade

        upgrade(SERVICE_ROOT, settings.database_url)
    else:
        preflight(settings, service=SERVICE, postgres=True, kafka=True, redis=False)
        status = asyncio.run(run_sync(settings, args.integration, args.mode))
        print(f"sync {status}")
        if not status.startswith("succeeded"):  # with skipped objects is a success too
            sys.exit(1)


async def run_sync(settings: ConnectorSettings, integration_id: str, mode: str) -> str:
    from crm_common.db import create_engine, session_factory
    from crm_common.errors import AppError
    from crm_common.messaging.broker import ensure_topics, make_broker
    from crm_common.messaging.publisher import EventPublisher
    from crm_integration.sinks import KafkaSink
    from moysklad_connector import metrics
    from moysklad_connector.sync.service import SyncService

    await ensure_topics(settings.kafka_bootstrap_servers)
    engine = create_engine(settings.database_url, "moysklad", pool_size=4)
    broker = make_broker(settings.kafka_bootstrap_servers, "moysklad-connector-cli")
    await broker.start()
    try:
        service = SyncService(
            settings, engine, session_factory(engine), KafkaSink(EventPublisher(broker), metrics.EVENTS_PUBLISHED)
        )
        try:
            job = await service.run(integration_id, mode, "cli")
        except AppError as exc:
            fail(exc.detail)
        print(f"job {job.id}: {job.status} counts={job.counts}" + (f" detail={job.detail}" if job.detail else ""))
        return job.status
    finally:
        await broker.stop()
        await engine.dispose()


if __name__ == "__main__":
    main()

"""``crm-bitrix24-connector serve | migrate | sync``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bitrix24_connector.settings import ConnectorSettings
from crm_common.cli import fail, load_settings, preflight, serve
from crm_common.logging import configure_logging

SERVICE = "bitrix24-connector"
SERVICE_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-bitrix24-connector", description="Bitrix24 connector")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API and run the sync scheduler")
    commands.add_parser("migrate", help="upgrade schema `bitrix24` to the latest revision")
    sync = commands.add_parser("sync", help="run one sync in the foreground and exit (non-zero if it failed)")
    sync.add_argument("--mode", choices=("full", "incremental", "resume", "reconcile"), default="full")
    sync.add_argument("--integration", default="default")
    args = parser.parse_args(argv)

    settings: ConnectorSettings = load_settings(ConnectorSettings)
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if args.command == "serve":
        from bitrix24_connector.app import create_app

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
        if not status.startswith("succeeded"):
            sys.exit(1)


async def run_sync(settings: ConnectorSettings, integration_id: str, mode: str) -> str:
    from bitrix24_connector import metrics
    from bitrix24_connector.sync.service import SyncService
    from crm_common.db import create_engine, session_factory
    from crm_common.errors import AppError
    from crm_common.messaging.broker import ensure_topics, make_broker
    from crm_common.messaging.publisher import EventPublisher
    from crm_integration.sinks import KafkaSink

    await ensure_topics(settings.kafka_bootstrap_servers)
    engine = create_engine(settings.database_url, "bitrix24", pool_size=4)
    broker = make_broker(settings.kafka_bootstrap_servers, "bitrix24-connector-cli")
    await broker.start()
    try:
        sink = KafkaSink(EventPublisher(broker), metrics.EVENTS_PUBLISHED)
        service = SyncService(settings, engine, session_factory(engine), sink)
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

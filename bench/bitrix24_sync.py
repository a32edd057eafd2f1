"""Full-sync time of the Bitrix24 connector against the simulator, next to the leaky bucket's floor.

    uv run python bench/bitrix24_sync.py --scale demo      # or large (25,000 deals: about 10 minutes)

Needs Postgres and Kafka (scripts/infra/infra.sh up); uses database crm_test and a throw-away topic prefix. The
simulator enforces the documented bucket (2 requests/s drained, refused at 50) and counts every request the
connector made (``GET /__sim/stats``). The floor is the fewest seconds that bucket allows for the requests it
accepted: the first 50 at once, then 2 per second. Prints events per kind, requests per method, seconds, the floor
and the reconciliation's requests. Exits non-zero if the sync did not succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from crm_testing import kafka_servers, test_database_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
os.environ["DATABASE_URL"] = test_database_url()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/bitrix24-connector/tests"))

from b24_testkit import connector_settings, portal, register, sim_stats

from bitrix24_connector.main import SERVICE_ROOT
from bitrix24_connector.sync.service import SyncService
from crm_common.db import create_engine, session_factory
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.publisher import EventPublisher
from crm_common.migrations import upgrade
from crm_integration.sinks import KafkaSink

DRAIN, BURST = 2.0, 50  # docs/bitrix24.md, "Limits"


def floor_seconds(requests: int) -> float:
    return max(0.0, (requests - BURST) / DRAIN)


async def bench(scale: str) -> int:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())
    await ensure_topics(kafka_servers())
    settings = connector_settings()
    engine = create_engine(test_database_url(), "bitrix24", pool_size=4)
    broker = make_broker(kafka_servers(), "bitrix24-bench")
    await broker.start()
    sessions = session_factory(engine)
    service = SyncService(settings, engine, sessions, KafkaSink(EventPublisher(broker)))
    try:
        with portal(scale=scale, seed=42) as sim:
            integration = await register(sessions, settings, sim)
            started = time.monotonic()
            job = await service.run(integration, "full", "bench")
            seconds = time.monotonic() - started
            stats = sim_stats(sim)
            reconciled = await service.run(integration, "reconcile", "bench")
    finally:
        await broker.stop()
        await engine.dispose()
    accepted = sum(n for counts in stats["by_method"].values() for s, n in counts.items() if s != "503")
    refused = stats["requests"] - accepted
    print(f"bitrix24 full sync, scale {scale}: {job.status} {job.counts}")
    print(f"  requests {stats['requests']} (refused {refused}) by method {stats['by_method']}")
    print(f"  {seconds:.1f} s against a leaky-bucket floor of {floor_seconds(accepted):.1f} s for those requests")
    print(f"  reconciliation: {reconciled.counts.get('requests')} requests, {reconciled.counts}")
    return 0 if job.status == "succeeded" else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("tiny", "demo", "large"), default="demo")
    sys.exit(asyncio.run(bench(parser.parse_args().scale)))


if __name__ == "__main__":
    main()

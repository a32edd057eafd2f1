"""Full-sync throughput of the MoySklad connector against the simulator, next to the rate-limit ceiling.

    uv run python bench/connector_sync.py --scale small

Needs Postgres and Kafka (scripts/infra/infra.sh up); uses database crm_test and a throw-away topic prefix. The
ceiling is what MoySklad's bucket allows: units / weight requests per window, each returning at most 1000 rows
(100 for bundles and documents, which need expand/fields; stock report pages weigh 5 units). The report prints
objects/s achieved, the fewest seconds the bucket allows for the same pages, and the share of that ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

from crm_common.testing import kafka_servers, test_database_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/moysklad-connector/tests"))

from connector_testkit import connector_settings, register

from crm_common.db import create_engine, session_factory
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.publisher import EventPublisher
from crm_common.migrations import upgrade
from moysklad_connector.main import SERVICE_ROOT
from moysklad_connector.sync.runner import KafkaSink
from moysklad_connector.sync.service import SyncService
from moysklad_connector.sync.specs import DOCUMENT_TYPES, SPECS
from moysklad_simulator import Settings as SimSettings
from moysklad_simulator.testing import serve_in_thread


async def bench(scale: str, weight: int) -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())
    await ensure_topics(kafka_servers())
    sim_settings = SimSettings(scale=scale, seed=4242, anchor="2026-01-15 00:00:00", weight_basic=weight)
    with serve_in_thread(sim_settings) as sim:
        settings = connector_settings(request_weight=weight, backoff_base_seconds=0.5, backoff_max_seconds=30)
        engine = create_engine(test_database_url(), "moysklad", pool_size=5)
        broker = make_broker(kafka_servers(), f"bench-{uuid.uuid4().hex[:6]}")
        await broker.start()
        try:
            sessions = session_factory(engine)
            integration = await register(sessions, settings, sim)
            service = SyncService(settings, engine, sessions, KafkaSink(EventPublisher(broker)))
            started = time.monotonic()
            job = await service.run(integration, "full", "cli")
            seconds = time.monotonic() - started
        finally:
            await broker.stop()
            await engine.dispose()
    objects = sum(v for k, v in job.counts.items() if k != "deleted")
    documents = sum(v for k, v in job.counts.items() if k in DOCUMENT_TYPES)
    positions = sum(len(d["_positions"]) for t in DOCUMENT_TYPES for d in sim.state.records(t))
    window = sim_settings.rate_limit_window_ms / 1000
    # Every type takes at least one page; context, currencies and units of measure take one request each.
    pages = sum(max(1, -(-job.counts.get(k, 0) // spec.max_limit)) for k, spec in SPECS.items())
    units = (pages + 3) * weight
    units += 2 * -(-job.counts.get("stock", 0) // 1000) * sim_settings.weight_stock_report  # bystore + all
    floor = units / sim_settings.rate_limit_units * window
    print(f"scale={scale} status={job.status} objects={objects} documents={documents} positions={positions}")
    print(f"seconds={seconds:.1f} throughput={objects / seconds:.0f} objects/s ({positions / seconds:.0f} positions/s)")
    print(
        f"rate-limit floor for these pages ≈ {floor:.1f} s ({units} units at {sim_settings.rate_limit_units} per "
        f"{window:.0f} s); share of the ceiling={floor / seconds:.1%}"
    )
    print("note: at demo/small scale most types fit in one page, so the run is latency-bound, not rate-bound")
    bench = {
        "name": f"full-sync throughput ({scale})",
        "value": objects / seconds,
        "unit": "objects/s",
        "baseline": objects / floor if floor else None,
        "baseline_name": "rate-limit ceiling",
    }
    print("BENCH " + json.dumps(bench))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument("--weight", type=int, default=2, help="units per request (MoySklad: 2..4 for Basic)")
    args = parser.parse_args()
    asyncio.run(bench(args.scale, args.weight))

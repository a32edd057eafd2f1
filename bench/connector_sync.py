"""Full-sync throughput of the MoySklad connector against the simulator, next to the rate-limit ceiling.

    uv run python bench/connector_sync.py --scale small

Needs Postgres and Kafka (scripts/infra/infra.sh up); uses database crm_test and a throw-away topic prefix. The
ceiling is measured, not computed: the simulator counts every request the connector made during the sync and the
units MoySklad's bucket charged for it (``GET /__sim/stats``: pages, positions, variants, audit, stock reports,
retries — whatever was really asked). The fewest seconds the bucket allows for those units is the floor: a full
bucket at the start, then ``rate_limit_units`` per window. Prints objects/s achieved, that floor and the share of the
ceiling. Exits non-zero if the sync did not succeed or published nothing (the side checks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from crm_testing import kafka_servers, test_database_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/moysklad-connector/tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from connector_bench_kit import connector_on, counted_run
from rate_limit import rate_limit_floor

from crm_common.messaging.broker import ensure_topics
from crm_common.migrations import upgrade
from moysklad_connector.main import SERVICE_ROOT
from moysklad_connector.sync.specs import DOCUMENT_TYPES
from moysklad_simulator import Settings as SimSettings
from moysklad_simulator.testing import serve_in_thread


async def bench(scale: str, weight: int) -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())
    await ensure_topics(kafka_servers())
    sim_settings = SimSettings(scale=scale, seed=4242, anchor="2026-01-15 00:00:00", weight_basic=weight)
    with serve_in_thread(sim_settings) as sim:
        async with connector_on(sim, weight) as (service, _, integration):
            job, seconds, stats = await counted_run(sim, service, integration, "full")
    objects = sum(v for k, v in job.counts.items() if k != "deleted")
    documents = sum(v for k, v in job.counts.items() if k in DOCUMENT_TYPES)
    positions = sum(len(d["_positions"]) for t in DOCUMENT_TYPES for d in sim.state.records(t))
    print(f"scale={scale} status={job.status} objects={objects} documents={documents} positions={positions}")
    if job.status != "succeeded" or not objects:
        raise SystemExit(f"side check failed: the full sync ended {job.status} with {objects} objects published")
    floor = rate_limit_floor(stats)
    print(f"seconds={seconds:.1f} throughput={objects / seconds:.0f} objects/s ({positions / seconds:.0f} positions/s)")
    print(
        f"requests made: {stats['requests']} ({stats['refused']} refused with 429), {stats['units']} units charged; "
        f"rate-limit floor for them {floor:.1f} s ({stats['rate_limit_units']} units per "
        f"{stats['rate_limit_window_ms'] / 1000:g} s); share of the ceiling={floor / seconds:.1%}"
    )
    heaviest = sorted(stats["by_path"].items(), key=lambda item: -item[1]["units"])[:6]
    print("most units: " + ", ".join(f"{path.rsplit('1.2', 1)[-1]}={row['units']}" for path, row in heaviest))
    bench = {
        "name": f"full-sync throughput ({scale})",
        "value": objects / seconds,
        "unit": "objects/s",
        "baseline": objects / floor if floor else None,  # None (no ratio) when the whole sync fits one bucket
        "baseline_name": "rate-limit ceiling",
    }
    print("BENCH " + json.dumps(bench))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument("--weight", type=int, default=2, help="units per request (MoySklad: 2..4 for Basic)")
    args = parser.parse_args()
    asyncio.run(bench(args.scale, args.weight))

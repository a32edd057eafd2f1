"""Request cost of the connector's reconciliation (docs/moysklad.md, "Reconciliation") against the simulator.

    uv run python bench/reconcile_cost.py --scale demo

Needs Postgres and Kafka (scripts/infra/infra.sh up); uses database crm_test and a throw-away topic prefix. The
ledger of published entities is filled from the simulator's own records (what a finished full sync leaves there),
``--remove`` products are then removed without an audit record, and one reconciliation runs. The simulator counts
every request it answered and the rate-limit units charged (``GET /__sim/stats``); the baseline is the fewest list
requests possible, one per 1000 ids of each listed type. Exits non-zero unless exactly the removed products were
deleted (the side check).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path

from crm_testing import kafka_servers, test_database_url, unique_topic_prefix

os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/moysklad-connector/tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from connector_bench_kit import connector_on, counted_run
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.messaging.broker import ensure_topics
from crm_common.migrations import upgrade
from crm_integration.ledger import Entry
from moysklad_connector.main import SERVICE_ROOT
from moysklad_connector.sync.reconcile import LIST_LIMIT, kinds
from moysklad_connector.tables import TABLES
from moysklad_simulator import Settings as SimSettings
from moysklad_simulator.data.generator import generate
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.testing import serve_in_thread


def listed_by_type(state: SimulatorState) -> dict[str, int]:
    """Ids each reconciliation listing returns: every reference entity, documents outside the recycle bin."""
    return {
        spec.type: sum(1 for r in state.records(spec.type) if not r.get("_trashed"))
        for specs in kinds().values()
        for spec in specs
    }


async def fill_ledger(sessions: async_sessionmaker[AsyncSession], state: SimulatorState) -> int:
    rows = [
        Entry(state.account_id, kind, record["id"], True, 1)
        for kind, specs in kinds().items()
        for spec in specs
        for record in state.records(spec.type)
        if not record.get("_trashed")
    ]
    async with transaction(sessions) as session:
        await TABLES.ledger(session).forget(state.account_id)  # what earlier runs left for this account
        await TABLES.ledger(session).record(rows)
    return len(rows)


async def bench(scale: str, weight: int, remove: int) -> None:
    await asyncio.to_thread(upgrade, SERVICE_ROOT, test_database_url())
    await ensure_topics(kafka_servers())
    sim_settings = SimSettings(scale=scale, seed=4242, anchor="2026-01-15 00:00:00", weight_basic=weight)
    generating = time.monotonic()
    state = generate(sim_settings)
    generated = time.monotonic() - generating
    with serve_in_thread(sim_settings, state) as sim:
        async with connector_on(sim, weight) as (service, sessions, integration):
            known = await fill_ledger(sessions, state)
            for product in state.records("product")[:remove]:
                state.remove("product", product["id"])  # no audit record: only reconciliation can see it
            job, seconds, stats = await counted_run(sim, service, integration, "reconcile")
    report(scale, job.status, job.counts, stats, listed_by_type(state), known, remove, seconds, generated)


def report(
    scale: str,
    status: str,
    counts: dict[str, int],
    stats: dict[str, object],
    per_type: dict[str, int],
    known: int,
    removed: int,
    seconds: float,
    generated: float,
) -> None:
    fewest = sum(max(1, math.ceil(n / LIST_LIMIT)) for n in per_type.values())
    print(f"scale={scale} generated in {generated:.0f}s; ledger {known} live ids; {removed} products removed")
    print(f"job status={status} counts={counts} seconds={seconds:.1f}")
    print(
        f"simulator: {stats['requests']} requests, {stats['units']} units charged, {stats['refused']} refused; "
        f"fewest list requests possible {fewest} (one per {LIST_LIMIT} ids of {len(per_type)} types)"
    )
    if status != "succeeded" or counts.get("deleted") != removed:
        raise SystemExit(f"side check failed: status {status}, deleted {counts.get('deleted')} of {removed}")
    bench = {
        "name": f"reconciliation cost ({scale}, {sum(per_type.values())} ids)",
        "value": stats["requests"],
        "unit": "requests",
        "baseline": fewest,
        "baseline_name": "one list request per 1000 ids",
    }
    print("BENCH " + json.dumps(bench))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="demo", choices=("tiny", "demo", "small", "medium", "large"))
    parser.add_argument("--weight", type=int, default=2, help="units per request (MoySklad: 2..4 for Basic)")
    parser.add_argument("--remove", type=int, default=3, help="products removed without an audit record")
    args = parser.parse_args()
    asyncio.run(bench(args.scale, args.weight, args.remove))

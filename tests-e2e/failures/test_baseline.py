"""The undisturbed run agrees with the simulator's own data, so "equal to the baseline" means "correct": the same
ids, and the same amounts (revenue per day and per product, stock per store)."""

from __future__ import annotations

import json

import pytest
from amounts import differences, from_simulator, from_snapshot
from delivery import Baseline
from e2e_harness import SimulatorSpec

from moysklad_simulator import Settings, generate

SALES_KINDS = ("demand", "retaildemand", "salesreturn", "retailsalesreturn", "customerorder")


def ids(baseline: Baseline, table: str, *, deleted: bool | None = None) -> set[str]:
    rows = [json.loads(row) for row in baseline.snapshot.rows[table]]
    return {r["id"] for r in rows if deleted is None or r["deleted"] is deleted}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_undisturbed_run_holds_what_the_simulator_serves(baseline: Baseline) -> None:
    spec = SimulatorSpec()
    state = generate(Settings(scale=spec.scale, seed=spec.seed, anchor=spec.anchor))
    catalog = {r["id"] for kind in ("product", "service", "bundle") for r in state.records(kind)}
    variants = {r["id"] for r in state.records("variant")}
    stores = {r["id"] for r in state.records("store")}
    # a document in the recycle bin arrives as a deletion (the connector pages isDeleted=true separately) and
    # stays as a tombstone; the simulator's cases put some there
    documents = {r["id"] for kind in SALES_KINDS for r in state.records(kind) if not r.get("_trashed")}
    binned = {r["id"] for kind in SALES_KINDS for r in state.records(kind) if r.get("_trashed")}
    assert binned, "the simulator's demo data has documents in the recycle bin"

    assert ids(baseline, "catalog.products") == catalog
    assert ids(baseline, "catalog.variants") == variants
    assert ids(baseline, "inventory.stores") == stores
    assert ids(baseline, "analytics.products") == catalog
    assert ids(baseline, "analytics.documents", deleted=False) == documents
    assert ids(baseline, "analytics.documents", deleted=True) == binned
    assert baseline.snapshot.counts["inventory.stock"] > 0
    assert baseline.snapshot.totals["revenue"] > 0
    # every event on every topic applied exactly once, nothing dead-lettered, roll-ups equal their facts
    assert not baseline.delivery.problems()
    assert not baseline.delivery.dead_letters
    assert not baseline.snapshot.rollup_mismatches
    for group in baseline.delivery.groups.values():
        assert group.applied == group.on_topics > 0


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_undisturbed_run_holds_the_simulators_amounts(baseline: Baseline) -> None:
    spec = SimulatorSpec()
    expected = from_simulator(generate(Settings(scale=spec.scale, seed=spec.seed, anchor=spec.anchor)))
    assert len(expected.revenue_per_day) > 20, expected.parts()
    assert len(expected.stock_per_store) > 1, expected.parts()
    problems = differences(from_snapshot(baseline.snapshot), expected)
    assert not problems, problems

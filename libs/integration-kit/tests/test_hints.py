"""Adaptive pacing of webhook hints: decisions on a clock the test passes in, and the scheduler acting on them."""

from __future__ import annotations

from typing import Any

import pytest

from crm_common.errors import Conflict
from crm_integration.hints import HintPacer, HintQueue, PendingHint
from crm_integration.scheduler import SyncScheduler


def test_an_isolated_change_waits_only_the_settle_delay() -> None:
    pacer = HintPacer(settle=0.2, max_delay=5, spacing_factor=1)
    assert pacer.due(100.0) == pytest.approx(100.2)
    pacer.ran(started=100.2, finished=100.7)
    # long after the last hinted sync: isolated again
    assert pacer.due(200.0) == pytest.approx(200.2)


def test_a_change_right_after_a_sync_is_spaced_by_that_syncs_duration() -> None:
    pacer = HintPacer(settle=0.2, max_delay=5, spacing_factor=1)
    pacer.ran(started=8.0, finished=10.0)
    assert pacer.due(10.1) == pytest.approx(12.0)  # 2 s sync → 2 s gap
    assert pacer.due(11.9) == pytest.approx(12.1)  # the settle delay still holds
    pacer.spacing_factor = 0.5
    assert pacer.due(10.1) == pytest.approx(11.0)


def test_the_spacing_never_exceeds_the_debounce_ceiling() -> None:
    pacer = HintPacer(settle=0.2, max_delay=5, spacing_factor=1)
    pacer.ran(started=0.0, finished=30.0)  # a slow sync
    assert pacer.due(30.0) == pytest.approx(35.0)


def test_a_burst_of_hints_is_one_pending_sync_dated_by_its_first_hint() -> None:
    queue = HintQueue(settle=0.2, max_delay=5, spacing_factor=1)
    queue.add("a", 1.0)
    queue.add("a", 1.1)
    queue.add("b", 1.15)
    assert queue.pending == {"a": PendingHint(1.0, types=None), "b": PendingHint(1.15, types=None)}
    assert queue.next_due() == pytest.approx(1.2)
    assert queue.take_due(1.25) == [("a", PendingHint(1.0, types=None))]
    assert list(queue.pending) == ["b"]
    assert queue.take_due(1.35) == [("b", PendingHint(1.15, types=None))]
    assert queue.next_due() is None


def test_hints_are_paced_per_integration() -> None:
    queue = HintQueue(settle=0.2, max_delay=5, spacing_factor=1)
    queue.pacer("busy").ran(started=0.0, finished=3.0)
    queue.add("busy", 3.0)
    queue.add("quiet", 3.0)
    assert queue.due("busy") == pytest.approx(6.0)
    assert queue.due("quiet") == pytest.approx(3.2)


def test_a_scheduled_round_covers_what_was_hinted_before_it() -> None:
    queue = HintQueue(settle=0.2, max_delay=5, spacing_factor=1)
    queue.add("a", 1.0)
    queue.covered("a")
    queue.covered("never-hinted")
    assert queue.pending == {}


def test_a_retry_waits_the_ceiling_and_keeps_the_earliest_hint() -> None:
    queue = HintQueue(settle=0.2, max_delay=5, spacing_factor=1)
    queue.add("a", 7.0, frozenset({"product"}))  # arrived while the conflicting sync ran
    queue.retry("a", PendingHint(2.0, types=frozenset({"demand"})), now=3.0)
    assert queue.pending["a"] == PendingHint(2.0, not_before=8.0, types=frozenset({"product", "demand"}))
    assert queue.take_due(7.9) == []
    assert [i for i, _ in queue.take_due(8.0)] == ["a"]


def test_the_types_of_a_burst_add_up_and_an_unnamed_type_means_every_type() -> None:
    queue = HintQueue(settle=0.2, max_delay=5, spacing_factor=1)
    queue.add("a", 1.0, frozenset({"product"}))
    queue.add("a", 1.1, frozenset({"variant"}))
    assert queue.pending["a"].types == {"product", "variant"}
    queue.add("a", 1.2, None)
    queue.add("a", 1.3, frozenset({"demand"}))
    assert queue.pending["a"].types is None


class FakeSyncs:
    """Stands in for a connector's job service in the scheduler's decision logic only.

    The MoySklad connector's tests drive the real one (services/moysklad-connector/tests/webhooks/test_webhooks.py).
    """

    def __init__(self, conflicts: int = 0) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.types: list[frozenset[str] | None] = []
        self.conflicts = conflicts
        self.sessions: Any = None

    async def run(self, integration_id: str, mode: str, trigger: str, *, types: frozenset[str] | None = None) -> None:
        self.calls.append((integration_id, mode, trigger))
        self.types.append(types)
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict("a sync of this integration is running")


async def no_integrations() -> list[str]:
    return []


def scheduler(syncs: FakeSyncs) -> SyncScheduler:
    return SyncScheduler(
        syncs,  # type: ignore[arg-type]
        no_integrations,
        interval_seconds=3600,
        debounce_seconds=5,
        settle_seconds=0,
        spacing_factor=1,
    )


async def test_the_scheduler_runs_one_incremental_sync_per_burst_over_the_types_it_named() -> None:
    syncs = FakeSyncs()
    paced = scheduler(syncs)
    paced.hint("a", frozenset({"product"}))
    paced.hint("a", frozenset({"demand"}))
    await paced.run_hinted()
    await paced.run_hinted()
    assert syncs.calls == [("a", "incremental", "webhook")]
    assert syncs.types == [{"product", "demand"}]
    assert paced.hints.pacer("a").last_end is not None


async def test_a_hint_that_meets_a_running_sync_is_kept_for_later() -> None:
    syncs = FakeSyncs(conflicts=1)
    paced = scheduler(syncs)
    paced.hint("a", frozenset({"product"}))
    await paced.run_hinted()
    paced.hint("a", frozenset({"variant"}))  # while it waits
    assert syncs.calls == [("a", "incremental", "webhook")]
    assert "a" in paced.hints.pending  # not lost: retried after the ceiling
    assert paced.hints.pending["a"].not_before > 0
    assert paced.hints.pending["a"].types == {"product", "variant"}
    assert paced.hints.pacer("a").last_end is None  # nothing ran

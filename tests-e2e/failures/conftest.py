"""The failure tier: one private Kafka/PostgreSQL/Redis for the whole tier, and one undisturbed baseline run.

Every test starts the whole system (all services and the simulator as processes) against the private
infrastructure, injects its failure, waits until the system settled and compares with the baseline. Each prints its
counts before and after; `pytest_terminal_summary` repeats them all at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from delivery import REPORT_FILE, REPORTS, Baseline, delivery, record, wait_settled
from e2e_harness import full_system
from private_infra import PrivateInfra, private_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[PrivateInfra]:
    REPORT_FILE.unlink(missing_ok=True)
    with private_infra() as running:
        yield running


@pytest.fixture(scope="session")
def baseline(infra: PrivateInfra) -> Baseline:
    """The undisturbed run every failure run must end up equal to."""
    with full_system(infra=infra.infra) as sut:
        settled = wait_settled(sut)
        accounted = delivery(sut)
    assert not settled.rollup_mismatches, settled.rollup_mismatches
    assert not accounted.problems(), accounted.problems()
    assert not accounted.dead_letters, [r.headers for r in accounted.dead_letters]
    record("baseline (undisturbed run)", {"final": {**settled.metrics(), **accounted.summary()}})
    return Baseline(settled, accounted)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("failures injected: counts before and after")
        for text in REPORTS:
            terminalreporter.write_line(text)
            terminalreporter.write_line("")

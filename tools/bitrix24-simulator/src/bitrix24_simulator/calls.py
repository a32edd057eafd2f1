"""Run one REST method call: the method-time limit before it, the ``time`` object after it.

The ``time`` object carries ``start``/``finish`` (Unix seconds), ``duration``, ``processing``, ``date_start``/
``date_finish`` (ISO with the portal's offset), ``operating`` and, once the method has a basket,
``operating_reset_at`` (https://apidocs.bitrix24.com/limits.html, "Resource Intensity Limits").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bitrix24_simulator.errors import method_not_found, operation_time_limit
from bitrix24_simulator.limits import OperatingMeter
from bitrix24_simulator.methods import METHODS, Outcome
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import from_timestamp, iso


@dataclass
class Caller:
    """Who calls: the webhook (its own ``operating`` sums) and whether the time limit is enforced."""

    portal: Portal
    meter: OperatingMeter
    webhook: str
    enforce_operating: bool


def time_block(start: float, finish: float, processing: float) -> dict[str, Any]:
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": iso(from_timestamp(start)),
        "date_finish": iso(from_timestamp(finish)),
    }


def execute(caller: Caller, method: str, params: dict[str, Any]) -> tuple[Outcome, dict[str, Any]]:
    """Run ``method``; raises ``B24Error`` for unknown methods, blocked methods and method errors."""
    handler = METHODS.get(method.lower())
    if handler is None:
        raise method_not_found()
    portal, key = caller.portal, (caller.webhook, method.lower())
    start = portal.clock()
    if caller.enforce_operating and caller.meter.blocked(key, start):
        raise operation_time_limit(method)
    began = time.perf_counter()
    try:
        outcome = handler(portal, params)
    finally:
        processing = time.perf_counter() - began
        caller.meter.charge(key, start, processing)
    finish = max(portal.clock(), start)
    timing = time_block(start, finish, processing)
    timing["operating"] = caller.meter.operating(key, finish)
    reset_at = caller.meter.reset_at(key, finish)
    if reset_at is not None:
        timing["operating_reset_at"] = reset_at
    return outcome, timing


def envelope(outcome: Outcome, timing: dict[str, Any]) -> dict[str, Any]:
    """``{result, next, total, time}``: ``next`` only when there is a next page, ``total`` only for lists."""
    body: dict[str, Any] = {"result": outcome.result}
    if outcome.next is not None:
        body["next"] = outcome.next
    if outcome.is_list:
        body["total"] = outcome.total
    body["time"] = timing
    return body

"""``batch``: up to 50 calls in one HTTP request, with ``halt`` and references to earlier results.

https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html: ``cmd`` maps keys to ``method?query``
strings; the answer is ``result`` with ``result``, ``result_error``, ``result_total``, ``result_next``,
``result_time`` keyed like ``cmd`` (empty ones are PHP's empty array ``[]``); the request itself succeeds with 200.
A parameter may refer to an earlier call's answer as ``$result[key][FIELD]`` or ``$result[key][0][ID]``. Calls past
the 50th end with ``ERROR_BATCH_LENGTH_EXCEEDED``; a nested ``batch`` with ``ERROR_BATCH_METHOD_NOT_ALLOWED``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bitrix24_simulator.calls import Caller, execute, time_block
from bitrix24_simulator.errors import B24Error, method_error
from bitrix24_simulator.params import parse_query

MAX_CALLS = 50
_REFERENCE = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")
_INDEX = re.compile(r"\[([^\]]*)\]")


def run(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    commands = params.get("cmd")
    if not isinstance(commands, (dict, list)) or not commands:
        raise method_error("Parameter 'cmd' must be array.")
    items = list(commands.items()) if isinstance(commands, dict) else [(str(i), c) for i, c in enumerate(commands)]
    halt = str(params.get("halt", "0")).lower() in ("1", "true", "y")
    started, began = caller.portal.clock(), time.perf_counter()
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    nexts: dict[str, Any] = {}
    times: dict[str, Any] = {}
    for position, (key, command) in enumerate(items):
        try:
            if position >= MAX_CALLS:
                raise B24Error(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
            method, call_params = _parse(str(command), results)
            if method.lower() == "batch":
                raise B24Error(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
            outcome, timing = execute(caller, method, call_params)
        except B24Error as error:
            errors[key] = error.body()
            if halt:
                break
            continue
        results[key] = outcome.result
        times[key] = timing
        if outcome.is_list:
            totals[key] = outcome.total
        if outcome.next is not None:
            nexts[key] = outcome.next
    return {
        "result": {
            "result": results or [],
            "result_error": errors or [],
            "result_total": totals or [],
            "result_next": nexts or [],
            "result_time": times or [],
        },
        "time": time_block(started, max(caller.portal.clock(), started), time.perf_counter() - began),
    }


def _parse(command: str, results: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    method, _, query = command.partition("?")
    return method.strip(), _resolve(parse_query(query), results)


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, str) and "$result[" in value:
        return _REFERENCE.sub(lambda m: _lookup(results, m.group(1), _INDEX.findall(m.group(2))), value)
    return value


def _lookup(results: dict[str, Any], key: str, path: list[str]) -> str:
    node: Any = results.get(key)
    for step in path:
        if isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return ""
    return "" if node is None or isinstance(node, (dict, list)) else str(node)

"""Small, bounded polling helpers shared by the failure tests."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from e2e_harness import System
from oracle import GROUPS, fetch

T = TypeVar("T")


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 120, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def inbox_counts(sut: System) -> dict[str, int]:
    rows = fetch(sut.database_url, {g: f"select count(*) from {g}.processed_events" for g in GROUPS})
    return {g: int(r[0][0]) for g, r in rows.items()}


def latest_job(sut: System, connector: str = "moysklad") -> dict[str, Any] | None:
    """The newest sync job of ``connector`` (its schema), with ``published``: the events it has published so far."""
    sql = f"select id::text, mode, status, counts from {connector}.sync_jobs order by created_at desc limit 1"
    rows = fetch(sut.database_url, {"job": sql})["job"]
    if not rows:
        return None
    job = dict(rows[0])
    counts = json.loads(job["counts"]) if isinstance(job["counts"], str) else (job["counts"] or {})
    job["published"] = sum(int(v) for v in counts.values())
    return job


def running_job_past(
    sut: System,
    published: int,
    not_ids: set[str] = frozenset(),  # type: ignore[assignment]
    connector: str = "moysklad",
) -> dict[str, Any] | None:
    """The connector's running job once it has published at least ``published`` events (and is not one we killed)."""
    job = latest_job(sut, connector)
    if job and job["status"] == "running" and job["id"] not in not_ids and job["published"] >= published:
        return job
    return None


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def metric(url: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus counter's samples on ``url``/metrics whose labels include ``labels``."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? ([0-9.eE+-]+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


def label_counts(url: str, name: str, label: str) -> dict[str, int]:
    """A Prometheus counter of ``url``/metrics summed per value of ``label`` (e.g. requests per status)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    values = sorted(set(re.findall(rf'^{re.escape(name)}\{{[^}}]*{label}="([^"]+)"', text, re.M)))
    return {value: int(metric(url, name, **{label: value})) for value in values}


def connector_request_counts(sut: System) -> dict[str, int]:
    url = sut.url("moysklad-connector")
    out = {f"moysklad requests {s}": n for s, n in label_counts(url, "crm_moysklad_requests_total", "status").items()}
    out["moysklad retries"] = int(metric(url, "crm_moysklad_retries_total"))
    return out


def slow_down_consumers(sut: System, seconds: float | dict[str, float]) -> None:
    """Make every inbox insert (one per applied event) take ``seconds`` longer (per group if a dict), so consumers
    work long enough to be killed mid-stream. Timing only: the sleep runs inside the consumer's own transaction. The
    delay is read from a table on every insert, so ``normal_speed`` takes effect at once, also inside a transaction
    that is halfway through a long batch (dropping the trigger first would wait for that whole batch)."""
    delays = seconds if isinstance(seconds, dict) else dict.fromkeys(GROUPS, seconds)
    statements = {
        "table": "create table if not exists public.e2e_speed (grp text primary key, seconds float not null)",
        "fn": "create or replace function public.e2e_slow_apply() returns trigger language plpgsql as "
        "$$ begin perform pg_sleep(coalesce((select seconds from public.e2e_speed where grp = TG_TABLE_SCHEMA), 0)); "
        "return new; end $$",
    }
    for group, delay in delays.items():
        statements[f"speed {group}"] = (
            f"insert into public.e2e_speed values ('{group}', {float(delay)}) "
            "on conflict (grp) do update set seconds = excluded.seconds"
        )
        statements[f"drop {group}"] = f"drop trigger if exists e2e_slow on {group}.processed_events"
        statements[group] = (
            f"create trigger e2e_slow before insert on {group}.processed_events "
            "for each row execute function public.e2e_slow_apply()"
        )
    fetch(sut.database_url, statements)


def normal_speed(sut: System) -> None:
    fetch(sut.database_url, {"speed": "update public.e2e_speed set seconds = 0"})
    fetch(sut.database_url, {g: f"drop trigger if exists e2e_slow on {g}.processed_events" for g in GROUPS})

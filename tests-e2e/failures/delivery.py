"""Delivery accounting across Kafka and the inboxes, and waiting until a disturbed system has settled."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from e2e_harness import LOGS, System
from oracle import GROUPS, TABLES, Record, Snapshot, fetch, lag, read_all, snapshot

from crm_common.events import topics as t

# what each consuming service reads (services/*/src/*/consumers.py)
TOPICS_OF: dict[str, tuple[t.Topic, ...]] = {
    "catalog": (t.FOLDERS, t.PRODUCTS, t.VARIANTS),
    "inventory": (t.STORES, t.STOCK, t.PRODUCTS, t.VARIANTS, t.FOLDERS),
    "analytics": (
        *(t.SALES, t.PRODUCTS, t.VARIANTS, t.FOLDERS, t.STORES, t.COUNTERPARTIES, t.STOCK, t.PIPELINES, t.DEALS),
        *(t.ALERTS, t.SYNC),
    ),
}


def names(sut: System, topics: tuple[t.Topic, ...]) -> list[str]:
    return [sut.topic_prefix + topic.base_name for topic in topics]


def group_topics(sut: System) -> dict[str, list[str]]:
    return {sut.topic_prefix + group: names(sut, TOPICS_OF[group]) for group in GROUPS}


@dataclass
class GroupDelivery:
    group: str
    on_topics: int  # distinct event ids on the topics the group reads
    applied: int  # inbox rows
    dead: int  # distinct event ids this group dead-lettered
    lost: list[str] = field(default_factory=list)  # on a topic, neither applied nor dead-lettered
    phantom: list[str] = field(default_factory=list)  # applied but on no topic


@dataclass
class DeliveryReport:
    groups: dict[str, GroupDelivery]
    dead_letters: list[Record]
    published: Counter[str]  # records per topic (duplicates included)
    distinct: Counter[str]  # distinct event ids per topic

    def problems(self) -> list[str]:
        out = []
        for g in self.groups.values():
            if g.lost:
                out.append(f"{g.group}: {len(g.lost)} events neither applied nor dead-lettered, e.g. {g.lost[:3]}")
            if g.phantom:
                out.append(f"{g.group}: {len(g.phantom)} inbox ids on no topic, e.g. {g.phantom[:3]}")
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "kafka.records": sum(self.published.values()),
            "kafka.distinct_events": sum(self.distinct.values()),
            "dead_letters": len(self.dead_letters),
            **{
                f"{g.group}: on_topics/applied/dead": f"{g.on_topics}/{g.applied}/{g.dead}"
                for g in self.groups.values()
            },
        }


@dataclass
class Baseline:
    snapshot: Snapshot
    delivery: DeliveryReport


def delivery(sut: System) -> DeliveryReport:
    servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
    every = sorted(
        {name for topics in group_topics(sut).values() for name in topics}
        | {sut.topic_prefix + t.DEAD_LETTER.base_name}
    )
    records = read_all(servers, every)
    dlq_name = sut.topic_prefix + t.DEAD_LETTER.base_name
    dead = [r for r in records if r.topic == dlq_name]
    data = [r for r in records if r.topic != dlq_name]
    ids_by_topic: dict[str, set[str]] = {}
    published: Counter[str] = Counter()
    for r in data:
        published[r.topic] += 1
        if (event_id := r.event_id()) is not None:
            ids_by_topic.setdefault(r.topic, set()).add(event_id)
    inbox_rows = fetch(sut.database_url, {g: f"select event_id::text from {g}.processed_events" for g in GROUPS})
    groups = {}
    for group, topic_names in ((g, names(sut, TOPICS_OF[g])) for g in GROUPS):
        expected = set().union(*(ids_by_topic.get(n, set()) for n in topic_names))
        applied = {r[0] for r in inbox_rows[group]}
        dead_ids = {r.event_id() for r in dead if r.headers.get("dlq_consumer") == sut.topic_prefix + group}
        dead_ids.discard(None)
        groups[group] = GroupDelivery(
            group,
            len(expected),
            len(applied),
            len(dead_ids),
            lost=sorted(expected - applied - dead_ids),  # type: ignore[operator]
            phantom=sorted(applied - expected),
        )
    distinct = Counter({topic: len(ids) for topic, ids in ids_by_topic.items()})
    return DeliveryReport(groups, dead, published, distinct)


def sync_jobs(sut: System, connector: str = "moysklad") -> list[dict[str, Any]]:
    """The sync jobs of ``connector`` (its schema: ``moysklad``, ``bitrix24``), oldest first."""
    rows = fetch(
        sut.database_url,
        {"jobs": f"select mode, status, counts, detail from {connector}.sync_jobs order by created_at"},
    )
    out = []
    for r in rows["jobs"]:
        row = dict(r)
        if isinstance(row["counts"], str):
            row["counts"] = json.loads(row["counts"])
        out.append(row)
    return out


def pending_outbox(sut: System) -> int:
    rows = fetch(
        sut.database_url,
        {s: f"select count(*) from {s}.outbox where published_at is null" for s in ("inventory", "analytics")},
    )
    return sum(int(r[0][0]) for r in rows.values())


def wait_settled(
    sut: System,
    *,
    timeout: float = 180,
    want_succeeded: bool = True,
    connectors: Sequence[str] = ("moysklad",),
    tables: Mapping[str, tuple[str, ...]] = TABLES,
) -> Snapshot:
    """Wait until no sync of ``connectors`` runs, each has a succeeded sync, every group consumed everything and two
    snapshots of ``tables`` agree."""
    deadline = time.monotonic() + timeout
    previous: Snapshot | None = None
    last_state: Any = None
    while time.monotonic() < deadline:
        if dead := sut.dead():
            raise AssertionError(f"processes exited: {dead}\n" + "\n".join(sut.processes[n].tail(20) for n in dead))
        every = {c: sync_jobs(sut, c) for c in connectors}
        jobs = [j for c in connectors for j in every[c]]
        running = any(j["status"] == "running" for j in jobs)
        succeeded = all(any(j["status"] == "succeeded" for j in every[c]) for c in connectors)
        lags = lag(sut.env["KAFKA_BOOTSTRAP_SERVERS"], group_topics(sut))
        outbox = pending_outbox(sut)
        # A failed job with its detail: the message is all a CI run keeps of why a sync failed.
        states = [(j["mode"], j["status"], *([j["detail"]] if j["status"] == "failed" else [])) for j in jobs]
        last_state = {"jobs": states, "lag": lags, "outbox": outbox}
        if not running and (succeeded or not want_succeeded) and not any(lags.values()) and outbox == 0:
            current = snapshot(sut.database_url, tables)
            if previous is not None and current.digests == previous.digests and current.inbox == previous.inbox:
                return current
            previous = current
        else:
            previous = None
        time.sleep(1.0)
    raise AssertionError(f"the system did not settle in {timeout}s: {last_state}")


def first_product_ids(sut: System) -> list[str]:
    return [r[0] for r in fetch(sut.database_url, {"p": "select id from catalog.products order by id"})["p"]]


def new_event_id() -> str:
    return str(uuid.uuid4())


def report(title: str, columns: dict[str, dict[str, Any]], injected: list[str] | None = None) -> str:
    """One line per metric with a column per moment (baseline, after), then what was injected and when."""
    metrics: list[str] = []
    for values in columns.values():
        metrics += [k for k in values if k not in metrics]
    width = max(len(m) for m in metrics) + 2
    lines = [f"== {title}", " " * width + "".join(f"{c:>20}" for c in columns)]
    for metric in metrics:
        lines.append(f"{metric:<{width}}" + "".join(f"{columns[c].get(metric, '-')!s:>20}" for c in columns))
    if injected:
        lines.append("injected (counts at that moment):")
        lines += [f"  - {line}" for line in injected]
    text = "\n".join(lines)
    print("\n" + text, flush=True)
    return text


REPORTS: list[str] = []
REPORT_FILE = LOGS / "failures-report.txt"


def record(title: str, columns: dict[str, dict[str, Any]], injected: list[str] | None = None) -> None:
    """Print the table and keep it for the end-of-run summary (and .local/logs/e2e/failures-report.txt)."""
    text = report(title, columns, injected)
    REPORTS.append(text)
    LOGS.mkdir(parents=True, exist_ok=True)
    with REPORT_FILE.open("a") as handle:
        handle.write(text + "\n\n")


def assert_same_as_baseline(
    sut: System,
    baseline: Baseline,
    title: str,
    injected: list[str],
    *,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    timeout: float = 240,
    connectors: Sequence[str] = ("moysklad",),
    tables: Mapping[str, tuple[str, ...]] = TABLES,
) -> tuple[Snapshot, DeliveryReport]:
    """Settle, then: nothing lost, nothing counted twice, every business table equal to the undisturbed run's."""
    settled = wait_settled(sut, timeout=timeout, connectors=connectors, tables=tables)
    accounted = delivery(sut)
    after = {**settled.metrics(), **accounted.summary(), **(extra or {})}
    columns = {"baseline": {**baseline.snapshot.metrics(), **baseline.delivery.summary()}}
    if before:
        columns["before"] = before
    record(title, {**columns, "after": after}, injected)
    assert not sut.dead(), f"processes died: {sut.dead()}"
    assert not accounted.problems(), accounted.problems()
    assert not settled.rollup_mismatches, settled.rollup_mismatches
    differences = settled.differences(baseline.snapshot)
    assert not differences, "final state differs from the undisturbed run:\n" + "\n".join(differences)
    assert settled.totals == baseline.snapshot.totals
    return settled, accounted

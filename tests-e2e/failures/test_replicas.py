"""Three replicas of each consuming service in one consumer group, one of them SIGKILLed mid-stream and a new one
started: the final state equals the undisturbed single-replica run (nothing lost, nothing counted twice), and every
surviving replica did part of the work."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from delivery import Baseline, assert_same_as_baseline, group_topics, record
from e2e_harness import PORT_VARIABLES, System, full_system, wait_ready
from oracle import lag
from private_infra import PrivateInfra
from scenario import latest_job, metric, normal_speed, slow_down_consumers, wait_until

from crm_testing import free_port

CONSUMERS = ("catalog", "inventory", "analytics")
REPLICAS = 3


async def _members(servers: str, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # DescribeGroups response: groups = [(error_code, group_id, state, protocol_type, protocol, members, ...)]
    return sum(len(g[5]) for response in described for g in response.groups if g[1] == group and g[2] == "Stable")


def members(sut: System, service: str) -> int:
    """Members of the service's consumer group while it is stable (0 while it rebalances)."""
    return asyncio.run(_members(sut.env["KAFKA_BOOTSTRAP_SERVERS"], sut.topic_prefix + service))


def settled_size(sut: System, service: str, timeout: float = 120) -> int:
    """The stable group size once it stops changing (the same size read twice, two seconds apart)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        size = members(sut, service)
        if size and size == last:
            return size
        last = size
        time.sleep(2)
    raise AssertionError(f"the {service} group did not settle in {timeout}s (last size {last})")


def start_replica(sut: System, service: str, name: str) -> None:
    port = sut.ports[service] if name == service else free_port()
    sut.spawn(name, port, f"crm-{service}", "serve", extra_env={PORT_VARIABLES[service]: str(port)})


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_three_replicas_with_one_killed_mid_stream_end_equal_to_one(infra: PrivateInfra, baseline: Baseline) -> None:
    injected: list[str] = []
    with full_system(infra=infra.infra, defer=CONSUMERS) as sut:
        # A backlog first, consumed slowly, so that the kill lands while every group still has work: 20-40 s of
        # work per replica for each group (a replica applies its share of ~80 catalog, ~220 inventory and ~560
        # analytics events in one batch; catalog's and inventory's in two lanes side by side), well beyond the time
        # the kills below take; normal_speed ends the slowness at once afterwards.
        wait_until("the sync to publish", lambda: (latest_job(sut) or {}).get("published", 0) >= 40, timeout=120)
        slow_down_consumers(sut, {"catalog": 1.5, "inventory": 0.6, "analytics": 0.25})
        names = {s: [s if n == 1 else f"{s}-{n}" for n in range(1, REPLICAS + 1)] for s in CONSUMERS}
        for service in CONSUMERS:
            for name in names[service]:
                start_replica(sut, service, name)
        for service in CONSUMERS:
            for name in names[service]:
                wait_ready(sut.processes[name], timeout=180)
        topics = group_topics(sut)
        kills = []
        full: dict[str, int] = {}
        for service in CONSUMERS:
            # The group's size once every replica joined (a process may run several subscribers in the group).
            full[service] = settled_size(sut, service)
            group = sut.topic_prefix + service
            left = lag(sut.env["KAFKA_BOOTSTRAP_SERVERS"], {group: topics[group]})[group]
            victim = f"{service}-2"
            sut.kill(victim)
            del sut.processes[victim]  # gone for good: its replacement is a new replica, not a restart
            kills.append((service, left))
            injected.append(f"SIGKILL {victim} (one of {REPLICAS} replicas): {left} records not yet committed")
            start_replica(sut, service, f"{service}-{REPLICAS + 1}")
            injected.append(f"started {service}-{REPLICAS + 1} in its place")
        for service in CONSUMERS:
            wait_ready(sut.processes[f"{service}-{REPLICAS + 1}"], timeout=180)
        normal_speed(sut)

        assert_same_as_baseline(sut, baseline, f"{REPLICAS} replicas per consumer, one SIGKILLed mid-stream", injected)
        assert all(left > 0 for _, left in kills), kills  # each kill was mid-stream
        # The killed replica's place is taken (the group is as large as before), and the work was spread: besides
        # each group's first replica, later ones applied events too. (Not every replica of every group: a small
        # topic's partitions can be drained by the members that joined first, before the last one is up.)
        applied: dict[str, float] = {}
        for service in CONSUMERS:
            wait_until(f"{service}: group whole again", lambda s=service: members(sut, s) == full[s], timeout=90)
            for name in (names[service][0], names[service][2], f"{service}-{REPLICAS + 1}"):
                applied[name] = metric(
                    sut.url(name), "crm_events_consumed_total", consumer=sut.topic_prefix + service, outcome="applied"
                )
        later = {name: n for name, n in applied.items() if name not in CONSUMERS}
        assert sum(later.values()) > 0, f"only the first replica of each group applied events: {applied}"
        record(f"{REPLICAS} replicas: events applied per surviving replica", {"applied": applied})

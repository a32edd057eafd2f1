"""Poison messages land in the dead-letter topic with their reason, the rest flows on, and the replay command
re-drives them once the cause is fixed (and only once)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer
from delivery import Baseline, assert_same_as_baseline, delivery, wait_settled
from e2e_harness import ROOT, SimulatorSpec, System, full_system
from oracle import fetch, read_all
from private_infra import PrivateInfra

from crm_common.events import topics as t
from moysklad_simulator import Settings, generate

# One product per poisoned id: catalog cannot store it (a CHECK constraint planted in its schema = "the bug"),
# inventory and analytics can. Dropping the constraint is "the fix".
POISONED = 3


def poisoned_products() -> list[str]:
    spec = SimulatorSpec()
    state = generate(Settings(scale=spec.scale, seed=spec.seed, anchor=spec.anchor))
    referenced = {str(v.get("product")) for v in state.records("variant")} | {
        json.dumps(b, default=str) for b in state.records("bundle")
    }
    candidates = [r["id"] for r in state.records("product") if not any(r["id"] in ref for ref in referenced)]
    return candidates[:POISONED]


def plant_bug(ids: list[str]):
    def plant(sut: System) -> None:
        listed = ", ".join(f"'{i}'" for i in ids)
        fetch(
            sut.database_url,
            {"bug": f"alter table catalog.products add constraint e2e_bug check (id not in ({listed}))"},
        )

    return plant


async def publish(servers: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def replay(sut: System, *args: str) -> str:
    env = {k: sut.env[k] for k in ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC_PREFIX", "PATH")}
    result = subprocess.run(
        [sys.executable, "-m", "crm_common.messaging.replay", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def dead_letter_counts(sut: System) -> Counter[tuple[str, str]]:
    report = delivery(sut)
    prefix = sut.topic_prefix
    return Counter(
        (r.headers["dlq_consumer"].removeprefix(prefix), r.headers["dlq_reason"]) for r in report.dead_letters
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_poison_is_dead_lettered_with_its_reason_and_replayed_after_the_fix(
    infra: PrivateInfra, baseline: Baseline
) -> None:
    ids = poisoned_products()
    assert len(ids) == POISONED
    with full_system(infra=infra.infra, before_start=plant_bug(ids)) as sut:
        servers = sut.env["KAFKA_BOOTSTRAP_SERVERS"]
        products, sales = sut.topic_prefix + t.PRODUCTS.base_name, sut.topic_prefix + t.SALES.base_name
        wait_settled(sut)
        sample = next(r for r in read_all(servers, [products]) if r.event_type() == "product.upserted")
        event = json.loads(sample.value or b"")
        unknown_type = {**event, "event_id": str(uuid.uuid4()), "event_type": "product.exploded"}
        bad_payload = {**event, "event_id": str(uuid.uuid4()), "payload": {"id": 42}}
        asyncio.run(
            publish(
                servers,
                products,
                [
                    (b"junk", b"\x00 not json at all"),
                    (sample.key or b"k", json.dumps(unknown_type).encode()),
                    (sample.key or b"k", json.dumps(bad_payload).encode()),
                ],
            )
        )
        asyncio.run(publish(servers, sales, [(b"junk", b'{"truncated": ')]))
        poisoned = wait_settled(sut)
        dead = dead_letter_counts(sut)
        # three consumers read the products topic, only analytics reads sales
        expected = Counter(
            {
                ("catalog", "handler_error"): POISONED,
                ("catalog", "invalid_event"): 3,
                ("inventory", "invalid_event"): 3,
                ("analytics", "invalid_event"): 4,
            }
        )
        assert dead == expected
        letters = delivery(sut).dead_letters
        assert all(r.headers["dlq_detail"] and r.headers["dlq_topic"] in (products, sales) for r in letters)
        assert {r.event_id() for r in letters if r.headers["dlq_reason"] == "handler_error"} <= {
            r.event_id() for r in read_all(servers, [products])
        }
        # the rest flowed on: only the poisoned products are missing, everywhere else the undisturbed state
        differing = {line.split(":")[0] for line in poisoned.differences(baseline.snapshot)}
        assert differing <= {"catalog.products", "catalog.product_prices"}
        assert poisoned.counts["catalog.products"] == baseline.snapshot.counts["catalog.products"] - POISONED
        assert not delivery(sut).problems()

        fetch(sut.database_url, {"fix": "alter table catalog.products drop constraint e2e_bug"})
        dry = replay(sut, "--consumer", "catalog", "--reason", "handler_error", "--dry-run")
        first = replay(sut, "--consumer", "catalog", "--reason", "handler_error")
        second = replay(sut, "--consumer", "catalog", "--reason", "handler_error")
        assert f"would replay {POISONED} of {sum(expected.values())} new dead letters" in dry
        assert f"replayed {POISONED} of {sum(expected.values())} new dead letters" in first
        assert "replayed 0 of 0 new dead letters" in second

        injected = [
            f"CHECK constraint in catalog.products refusing {POISONED} products (ids {', '.join(ids)}) before the sync",
            "3 junk records on catalog.products.v1 (not JSON, unknown event type, invalid payload), 1 on sales",
            f"dead letters by (consumer, reason): {dict(sorted(dead.items()))}",
            f"after dropping the constraint: {first.strip().splitlines()[-1]}",
            f"second replay: {second.strip().splitlines()[-1]}",
        ]
        before = {**poisoned.metrics(), "dead_letters": sum(dead.values())}
        settled, _ = assert_same_as_baseline(
            sut, baseline, "poison messages, dead letters and replay", injected, before=before
        )
        # the replayed copies reached every group on the topic; the ones that had applied them dropped them
        assert settled.inbox["inventory"] == poisoned.inbox["inventory"]
        assert settled.inbox["analytics"] == poisoned.inbox["analytics"]
        assert settled.inbox["catalog"] == poisoned.inbox["catalog"] + POISONED
        assert dead_letter_counts(sut) == expected  # nothing failed again

"""The dead-letter replay over real Kafka: what it re-publishes, where, with which marks, and that it remembers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from crm_common.events.topics import DEAD_LETTER, FOLDERS, PRODUCTS
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.deadletter import DeadLetter, send_to_dead_letter
from crm_common.messaging.replay import (
    REPLAY_OF_HEADER,
    REPLAYED_HEADER,
    Filters,
    main,
    replay,
    topic_partitions,
)
from crm_testing import free_port, kafka_servers


@pytest.fixture
async def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    """A topic prefix of this test's own (under the suite's, so the runner deletes the topics afterwards)."""
    value = f"{os.environ.get('KAFKA_TOPIC_PREFIX', '')}replay{uuid.uuid4().hex[:6]}."
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", value)
    await ensure_topics(kafka_servers(), [DEAD_LETTER, FOLDERS, PRODUCTS])
    return value


async def dead_letter(value: bytes, *, consumer: str, topic: str, reason: str, key: bytes | None = b"k") -> None:
    broker = make_broker(kafka_servers(), "replay-test")
    await broker.start()
    try:
        letter = DeadLetter(consumer, topic, 0, 7, key, value, reason, "because")
        await send_to_dead_letter(broker, letter)
    finally:
        await broker.stop()


async def records(topic: str) -> list[tuple[bytes | None, bytes | None, dict[str, str]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await topic_partitions(kafka_servers(), [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                out += [(r.key, r.value, {k: (v or b"").decode() for k, v in r.headers}) for r in batch]
        return out
    finally:
        await consumer.stop()


async def test_replays_original_bytes_and_key_to_the_original_topic_once(prefix: str) -> None:
    await dead_letter(b'{"raw": 1}', consumer=f"{prefix}catalog", topic=FOLDERS.name, reason="handler_error", key=b"f1")
    await dead_letter(b"\x00junk", consumer=f"{prefix}inventory", topic=PRODUCTS.name, reason="invalid_event")

    first = await replay(kafka_servers())
    second = await replay(kafka_servers())

    assert (len(first.replayed), first.examined) == (2, 2)
    assert (len(second.replayed), second.examined) == (0, 0)
    folders = await records(FOLDERS.name)
    assert [(k, v) for k, v, _ in folders] == [(b"f1", b'{"raw": 1}')]
    headers = folders[0][2]
    assert headers[REPLAYED_HEADER] == "1"
    assert headers[REPLAY_OF_HEADER].startswith(f"{DEAD_LETTER.name}:")
    assert headers["dlq_reason"] == "handler_error"
    assert [v for _, v, _ in await records(PRODUCTS.name)] == [b"\x00junk"]


async def test_filters_match_names_with_or_without_the_prefix(prefix: str) -> None:
    await dead_letter(b"a", consumer=f"{prefix}catalog", topic=FOLDERS.name, reason="handler_error")
    await dead_letter(b"b", consumer=f"{prefix}analytics", topic=FOLDERS.name, reason="handler_error")
    await dead_letter(b"c", consumer=f"{prefix}catalog", topic=PRODUCTS.name, reason="invalid_event")

    by_consumer = await replay(kafka_servers(), Filters(consumers=("catalog",), reasons=("handler_error",)))
    by_topic = await replay(kafka_servers(), Filters(topics=(PRODUCTS.name,)))
    unprefixed_topic = await replay(kafka_servers(), Filters(topics=(PRODUCTS.base_name,)), dry_run=True)

    assert [(letter.consumer, letter.reason) for letter in by_consumer.replayed] == [
        (f"{prefix}catalog", "handler_error")
    ]
    assert [letter.topic for letter in by_topic.replayed] == [PRODUCTS.name]
    assert len(unprefixed_topic.replayed) == 1
    assert by_consumer.group_id != by_topic.group_id  # each filter combination remembers on its own
    assert sorted(v for _, v, _ in await records(FOLDERS.name)) == [b"a"]


async def test_dry_run_changes_nothing_and_a_later_run_sees_only_new_letters(prefix: str) -> None:
    await dead_letter(b"one", consumer=f"{prefix}catalog", topic=FOLDERS.name, reason="handler_error")

    dry = await replay(kafka_servers(), dry_run=True)
    assert len(dry.replayed) == 1
    assert dry.dry_run
    assert await records(FOLDERS.name) == []

    real = await replay(kafka_servers())
    await dead_letter(b"two", consumer=f"{prefix}catalog", topic=FOLDERS.name, reason="handler_error")
    later = await replay(kafka_servers())

    assert [len(real.replayed), len(later.replayed)] == [1, 1]
    assert sorted(v for _, v, _ in await records(FOLDERS.name)) == [b"one", b"two"]


async def test_a_letter_without_its_original_topic_is_reported_not_sent(prefix: str) -> None:
    await dead_letter(b"x", consumer=f"{prefix}catalog", topic="", reason="handler_error")
    result = await replay(kafka_servers())
    assert (len(result.replayed), len(result.unreplayable)) == (0, 1)


async def test_cli_prints_each_letter_and_a_summary(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    await dead_letter(b"c", consumer=f"{prefix}catalog", topic=FOLDERS.name, reason="handler_error")
    # main() runs its own event loop, so run it in a thread of its own
    import asyncio

    code = await asyncio.to_thread(main, ["--consumer", "catalog", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "would replay 1 of 1 new dead letters" in out
    assert f"{prefix}catalog" in out


def test_cli_names_kafka_when_it_is_unreachable() -> None:
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": address}
    result = subprocess.run(
        [sys.executable, "-m", "crm_common.messaging.replay", "--timeout", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert address in result.stderr
    assert "Traceback" not in result.stderr

"""Topics are created with the deployment's partition count (the ceiling on replicas of one consuming service)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import AssortmentKind, Document, DocumentKind, Position
from crm_common.events.topics import DEFAULT_PARTITIONS, MAX_MESSAGE_BYTES, Topic, partition_count
from crm_common.messaging.broker import ensure_topics, make_broker
from crm_common.messaging.publisher import EventPublisher, too_large
from crm_common.messaging.replay import topic_partitions
from crm_testing import kafka_servers


def test_the_partition_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_TOPIC_PARTITIONS", raising=False)
    assert partition_count() == DEFAULT_PARTITIONS == 12
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "24")
    assert partition_count() == 24


@pytest.mark.parametrize("bad", ["0", "-3", "twelve", "1.5"])
def test_a_bad_partition_count_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", bad)
    with pytest.raises(ValueError, match="KAFKA_TOPIC_PARTITIONS"):
        partition_count()


async def test_new_topics_get_the_configured_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "5")
    configured = Topic(f"partitions-{uuid.uuid4().hex[:6]}", "uses the setting")
    own = Topic(f"partitions-{uuid.uuid4().hex[:6]}", "has its own count", compacted=False, partitions=1)
    await ensure_topics(kafka_servers(), [configured, own])
    partitions = await topic_partitions(kafka_servers(), [configured.name, own.name])
    counts = Counter(tp.topic for tp in partitions)
    assert counts == {configured.name: 5, own.name: 1}


async def _configs(name: str) -> dict[str, str]:
    """The topic's configuration as the broker describes it, once it can: right after a create the broker may still
    answer "unknown topic" with no entries, so ask again (for up to 30 s) until it names them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
            resources = [resource for response in described for resource in response.resources]
            configs = {entry[0]: entry[1] for resource in resources for entry in resource[4]}
            errors = [resource[0] for resource in resources if resource[0]]
            if configs and not errors:
                return configs
            assert asyncio.get_running_loop().time() < deadline, f"{name}: no configuration described ({errors})"
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def test_topics_take_messages_of_several_mb_and_older_topics_are_raised_keeping_their_policy() -> None:
    fresh = Topic(f"size-new-{uuid.uuid4().hex[:6]}", "created now")
    older = Topic(f"size-old-{uuid.uuid4().hex[:6]}", "created by an older release")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:  # as releases before the size setting created them: compacted, default message size
        await admin.create_topics([NewTopic(older.name, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    finally:
        await admin.close()
    assert int((await _configs(older.name))["max.message.bytes"]) < MAX_MESSAGE_BYTES

    created = await ensure_topics(kafka_servers(), [fresh, older])

    assert created == [fresh.name]
    for topic in (fresh, older):
        configs = await _configs(topic.name)
        assert int(configs["max.message.bytes"]) == MAX_MESSAGE_BYTES == 16 * 1024 * 1024
        assert configs["cleanup.policy"] == "compact"
        assert configs["delete.retention.ms"] == str(7 * 24 * 3600 * 1000)


def _supply(positions: int) -> EventEnvelope:
    """A document shaped like an initial-stock supply: distinct ids, one position per product."""
    rng = random.Random(7)
    rows = [
        Position(
            id=str(uuid.UUID(int=rng.getrandbits(128))),
            assortment_id=(product := str(uuid.UUID(int=rng.getrandbits(128)))),
            assortment_kind=AssortmentKind.PRODUCT,
            product_id=product,
            quantity=Decimal(rng.randint(1, 500)),
            price=Decimal(rng.randint(100, 99_999)) / 100,
            amount=Decimal(rng.randint(100, 9_999_999)) / 100,
            cost=Decimal(rng.randint(100, 99_999)) / 100,
        )
        for _ in range(positions)
    ]
    when = datetime(2026, 1, 5, 9, tzinfo=UTC)
    document = Document(
        id=str(uuid.uuid4()),
        kind=DocumentKind.SUPPLY,
        number="00001",
        moment=when,
        applicable=True,
        total=Decimal(1),
        positions=rows,
        updated_at=when,
    )
    return make_event(
        "document.upserted",
        source="moysklad",
        account_id="a",
        entity_id=document.id,
        source_version=1,
        payload=document,
    )


async def test_an_event_larger_than_a_topic_takes_travels_compressed_and_arrives_whole() -> None:
    """100,000 positions: ~29 MB of JSON, more than a topic's 16 MB, ~7 MB as it travels (zstd)."""
    event = _supply(100_000)
    raw = event.to_bytes()
    assert len(raw) > MAX_MESSAGE_BYTES
    assert too_large(raw) is None
    topic = Topic(f"size-big-{uuid.uuid4().hex[:6]}", "one large document", partitions=1)
    await ensure_topics(kafka_servers(), [topic])
    broker = make_broker(kafka_servers(), "size-test")
    await broker.start()
    try:
        await EventPublisher(broker).publish(event, topic.name)
    finally:
        await broker.stop()
    consumer = AIOKafkaConsumer(topic.name, bootstrap_servers=kafka_servers(), auto_offset_reset="earliest")
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=30_000, max_records=1)
    finally:
        await consumer.stop()
    [record] = [r for records in batches.values() for r in records]
    assert record.value == raw


def test_what_kafka_would_refuse_is_named_with_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topics, "MAX_MESSAGE_BYTES", 200_000)
    compressible = b'{"x": "' + b"a" * 300_000 + b'"}'
    incompressible = random.Random(1).randbytes(300_000)
    assert too_large(compressible) is None  # over the topic's limit as JSON, far under it compressed
    assert "bytes compressed" in (too_large(incompressible) or "")
    monkeypatch.setattr(topics, "MAX_EVENT_BYTES", 250_000)
    assert "at most 250,000" in (too_large(compressible) or "")

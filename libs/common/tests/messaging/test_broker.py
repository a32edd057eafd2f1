"""Topics are created with the deployment's partition count (the ceiling on replicas of one consuming service)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from crm_common.events.topics import DEFAULT_PARTITIONS, MAX_MESSAGE_BYTES, Topic, partition_count
from crm_common.messaging.broker import ensure_topics
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
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    return {entry[0]: entry[1] for response in described for resource in response.resources for entry in resource[4]}


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

"""Topics are created with the deployment's partition count (the ceiling on replicas of one consuming service)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from crm_common.events.topics import DEFAULT_PARTITIONS, Topic, partition_count
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.replay import topic_partitions
from crm_common.testing import kafka_servers


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

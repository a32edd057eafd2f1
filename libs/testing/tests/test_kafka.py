"""A run's topics and consumer groups are deleted after it, and nothing of another run's."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from crm_testing import eventually, kafka_servers
from crm_testing.kafka import delete_run_topics


async def names() -> tuple[set[str], set[str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        return set(await admin.list_topics()), {str(g[0]) for g in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def a_run(prefix: str) -> None:
    """Two topics and a consumer group that committed an offset, all named with ``prefix``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{prefix}{t}", 1, 1) for t in ("a.v1", "b.v1")])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers())
    await producer.start()
    try:
        await producer.send_and_wait(f"{prefix}a.v1", b"x")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), group_id=f"{prefix}group", enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(f"{prefix}a.v1", 0)
        consumer.assign([partition])
        await consumer.commit({partition: OffsetAndMetadata(1, "")})
    finally:
        await consumer.stop()


async def test_the_runs_topics_and_groups_go_and_another_runs_stay() -> None:
    mine, other = f"test-own-{uuid.uuid4().hex[:8]}.", f"test-other-{uuid.uuid4().hex[:8]}."
    await a_run(mine)
    await a_run(other)
    topics, groups = await names()
    assert {f"{mine}a.v1", f"{mine}b.v1", f"{other}a.v1"} <= topics
    assert {f"{mine}group", f"{other}group"} <= groups

    await delete_run_topics(mine)

    async def gone() -> tuple[set[str], set[str]] | None:
        topics, groups = await names()
        left = {t for t in topics if t.startswith(mine)} | {g for g in groups if g.startswith(mine)}
        return None if left else (topics, groups)

    topics, groups = await eventually(gone)
    assert {f"{other}a.v1", f"{other}b.v1"} <= topics
    assert f"{other}group" in groups
    await delete_run_topics(other)


async def test_an_empty_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        await delete_run_topics("")

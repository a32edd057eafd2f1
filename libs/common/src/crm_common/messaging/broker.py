"""Broker factory and topic administration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from crm_common.errors import InfrastructureMissing
from crm_common.events.topics import COMPRESSION, MAX_EVENT_BYTES, MAX_MESSAGE_BYTES, TOPICS, Topic, partition_count
from crm_common.logging import get_logger

log = get_logger(__name__)


# Every producer of this project: waits for every in-sync replica, never writes a message twice, compresses.
PRODUCER_OPTIONS: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "compression_type": COMPRESSION,
    "max_request_size": MAX_EVENT_BYTES,
}


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """A broker whose producer is set up as PRODUCER_OPTIONS says."""
    return KafkaBroker(
        bootstrap_servers.split(","),
        client_id=client_id,
        linger_ms=5,
        request_timeout_ms=30_000,
        graceful_timeout=15.0,
        **PRODUCER_OPTIONS,
    )


_SIZE = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}


def _new_topic(topic: Topic) -> NewTopic:
    configs = {"cleanup.policy": "compact" if topic.compacted else "delete", **_SIZE}
    if topic.compacted:
        # Keep deletes visible long enough for a slow consumer, then let compaction reclaim them.
        configs["delete.retention.ms"] = str(7 * 24 * 3600 * 1000)
    partitions = topic.partitions or partition_count()
    return NewTopic(topic.name, num_partitions=partitions, replication_factor=1, topic_configs=configs)


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic] = TOPICS, timeout: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Safe to call from every service."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","), request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise InfrastructureMissing("Kafka", bootstrap_servers, f"{type(exc).__name__}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        wanted = list(topics)
        missing = [t for t in wanted if t.name not in existing]
        await _allow_large_messages(admin, [t for t in wanted if t.name in existing])
        if missing:
            try:
                await admin.create_topics([_new_topic(t) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and create
            log.info("kafka topics created", topics=[t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()


async def _allow_large_messages(admin: AIOKafkaAdminClient, topics: list[Topic]) -> None:
    """Raise ``max.message.bytes`` of topics created before it was set (by an older release or by hand)."""
    if not topics:
        return
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t.name) for t in topics])
    small = {
        resource[3]
        for response in described
        for resource in response.resources
        if any(entry[0] == "max.message.bytes" and int(entry[1]) < MAX_MESSAGE_BYTES for entry in resource[4])
    }
    if small:
        # aiokafka's admin client has no incremental alter: alter_configs replaces a topic's overrides, so it re-states
        # every one this project sets (cleanup policy, delete retention) with the new size.
        await admin.alter_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, t.name, _new_topic(t).topic_configs)
                for t in topics
                if t.name in small
            ]
        )
        log.info("kafka topics allow large messages now", topics=sorted(small), max_message_bytes=MAX_MESSAGE_BYTES)


async def check_kafka(bootstrap_servers: str, timeout: float = 5.0) -> None:
    """Raise ``InfrastructureMissing`` naming the servers if no broker answers a metadata request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","), request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise InfrastructureMissing("Kafka", bootstrap_servers, f"{type(exc).__name__}: {exc}") from exc
    finally:
        await admin.close()

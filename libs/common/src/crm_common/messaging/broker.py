"""Broker factory and topic administration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from crm_common.errors import InfrastructureMissing
from crm_common.events.topics import TOPICS, Topic, partition_count
from crm_common.logging import get_logger

log = get_logger(__name__)


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """A broker whose producer waits for every in-sync replica and never writes a message twice."""
    return KafkaBroker(
        bootstrap_servers.split(","),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
        graceful_timeout=15.0,
    )


def _new_topic(topic: Topic) -> NewTopic:
    configs = {"cleanup.policy": "compact" if topic.compacted else "delete"}
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
        missing = [t for t in topics if t.name not in existing]
        if missing:
            try:
                await admin.create_topics([_new_topic(t) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and create
            log.info("kafka topics created", topics=[t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()


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

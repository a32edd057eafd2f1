"""Consumer lag per consumer group: committed offsets against the end offsets of the same partitions."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def consumer_lag(bootstrap_servers: str, *, prefix: str = "", timeout: float = 5.0) -> dict[str, Any]:
    """``{group: {"lag": total, "topics": {topic: lag}}}`` for every group whose name starts with ``prefix``."""
    servers = bootstrap_servers.split(",")
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=int(timeout * 1000))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, request_timeout_ms=int(timeout * 1000)
    )
    await asyncio.wait_for(admin.start(), timeout)
    try:
        await asyncio.wait_for(consumer.start(), timeout)
        try:
            groups = [g[0] for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)]
            result: dict[str, Any] = {}
            for group in sorted(groups):
                committed = await admin.list_consumer_group_offsets(group)
                result[group] = await _group_lag(consumer, committed)
            return result
        finally:
            await consumer.stop()
    finally:
        await admin.close()


async def _group_lag(consumer: AIOKafkaConsumer, committed: dict[TopicPartition, Any]) -> dict[str, Any]:
    partitions = [tp for tp, meta in committed.items() if meta is not None and meta.offset >= 0]
    ends = await consumer.end_offsets(partitions) if partitions else {}
    topics: dict[str, int] = {}
    for tp in partitions:
        lag = max(0, ends.get(tp, 0) - committed[tp].offset)
        topics[tp.topic] = topics.get(tp.topic, 0) + lag
    return {"lag": sum(topics.values()), "topics": topics}

"""Reading topics from a position to their current end, in batches, with plain aiokafka (no consumer group).

A rebuild must not move the live consumer group's offsets, and must know when it has reached "now": it takes the end
offsets when it starts and stops once every partition's position has reached them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from crm_common.events.topics import Topic

Positions = dict[str, int]  # "topic:partition" -> next offset to read


def _key(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


class TopicReplay:
    def __init__(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        self.consumer, self.partitions = consumer, partitions

    async def start_at(self, positions: Positions | None) -> None:
        """Seek every partition to its stored position, or to the beginning when none is stored."""
        positions = positions or {}
        for tp in self.partitions:
            if _key(tp) in positions:
                self.consumer.seek(tp, positions[_key(tp)])
            else:
                await self.consumer.seek_to_beginning(tp)

    async def positions(self) -> Positions:
        return {_key(tp): await self.consumer.position(tp) for tp in self.partitions}

    async def batches(self, max_records: int) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
        """Batches of records up to the end offsets taken now; the last batch may be empty."""
        end = await self.consumer.end_offsets(self.partitions)
        while True:
            pending = [tp for tp in self.partitions if await self.consumer.position(tp) < end[tp]]
            if not pending:
                return
            fetched = await self.consumer.getmany(*pending, timeout_ms=500, max_records=max_records)
            records = [r for tp in pending for r in fetched.get(tp, []) if r.offset < end[tp]]
            # Records past the end offsets arrived after we started: leave them for the next pass.
            for tp in pending:
                late = [r for r in fetched.get(tp, []) if r.offset >= end[tp]]
                if late:
                    self.consumer.seek(tp, late[0].offset)
            yield records


@asynccontextmanager
async def open_replay(bootstrap_servers: str, topics: Iterable[Topic]) -> AsyncIterator[TopicReplay]:
    consumer: AIOKafkaConsumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        # `partitions_for_topic` only knows subscribed topics; an unsubscribed reader asks the cluster directly.
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(t.name, p) for t in topics for p in sorted(cluster.partitions_for_topic(t.name) or ())
        ]
        consumer.assign(partitions)
        yield TopicReplay(consumer, partitions)
    finally:
        await consumer.stop()

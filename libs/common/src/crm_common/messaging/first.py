"""Some topics of a subscription read to their end before the others: what a consumer looks up comes before what it
looks it up for.

A consumer catching up on a backlog (after an outage, a new replica, a reset group) gets its topics' records
interleaved as Kafka fetches them: inventory then wrote a stock level before the product it belongs to and copied the
product's name, folder and minimum onto it afterwards, an UPDATE of an indexed row per level (``copy_catalog``:
6.5-12.9 s of a drain of pre-filled topics; docs/operations.md, "Inventory reads the catalog before the levels").
Reading the ``first`` topics of each assignment up to the end they had when assigned, while the other partitions are
paused, writes each level once, filled. Live, the ``first`` topics are at their end already and nothing waits.

Only an order of work, never of correctness: each replica orders its own partitions, and a product another replica
reads is still copied onto the levels when it comes. The ends are those of the assignment (a catalog that keeps
changing never holds the rest back), and the wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from typing import Any

from aiokafka import TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from crm_common.logging import get_logger

log = get_logger(__name__)


class TopicsFirst(ConsumerRebalanceListener):
    """Pauses an assignment's other partitions until its ``first`` partitions have been read up to their end as of the
    assignment, or ``patience`` seconds have passed. ``subscriber`` is the FastStream subscriber whose Kafka consumer
    this listens to (set once it is registered)."""

    def __init__(self, first: Collection[str], *, patience: float = 300.0, poll: float = 0.1) -> None:
        self.first, self.patience, self.poll = frozenset(first), patience, poll
        self.subscriber: Any = None
        self._watch: asyncio.Task[None] | None = None

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._stop()  # a pause goes with the assignment it was made in

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._stop()
        consumer = self.subscriber.consumer
        first = [tp for tp in assigned if tp.topic in self.first]
        rest = [tp for tp in assigned if tp.topic not in self.first]
        if not first or not rest or consumer is None:
            return
        consumer.pause(*rest)
        self._watch = asyncio.ensure_future(self._resume_when_read(consumer, first, rest))

    async def _resume_when_read(self, consumer: Any, first: list[TopicPartition], rest: list[TopicPartition]) -> None:
        started = time.monotonic()
        try:
            waiting: dict[TopicPartition, int] = dict(await consumer.end_offsets(first))
            while waiting and time.monotonic() - started < self.patience:
                for tp, end in list(waiting.items()):
                    if await consumer.position(tp) >= end:
                        del waiting[tp]
                if waiting:
                    await asyncio.sleep(self.poll)
            if waiting:
                log.warning(
                    "topics read first did not reach their end in time; the rest resumes",
                    waiting={f"{tp.topic}[{tp.partition}]": end for tp, end in waiting.items()},
                    patience=self.patience,
                )
        except (KafkaError, OSError, TimeoutError) as exc:
            # an order of work only: whatever went wrong (the consumer stopping, too), the rest is not held back
            log.info("topics read first: stopped waiting", error=repr(exc)[:200])
        assigned = consumer.assignment()
        consumer.resume(*(tp for tp in rest if tp in assigned))  # the others' pause went with their assignment
        log.info(
            "topics read first",
            topics=sorted(self.first),
            seconds=round(time.monotonic() - started, 3),
            resumed=len(rest),
        )

    def _stop(self) -> None:
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
        self._watch = None

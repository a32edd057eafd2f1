"""The dead-letter path: what a consumer cannot apply is kept, with why, and the stream goes on."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from crm_common.events.topics import DEAD_LETTER
from crm_common.logging import get_logger

log = get_logger(__name__)

DEAD_LETTERS = Counter(
    "crm_dead_letters_total", "Messages sent to the dead-letter topic", ["consumer", "topic", "reason"]
)


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    reason: str
    detail: str

    def headers(self) -> dict[str, str]:
        return {
            "dlq_consumer": self.consumer,
            "dlq_topic": self.topic,
            "dlq_partition": str(self.partition),
            "dlq_offset": str(self.offset),
            "dlq_reason": self.reason,
            "dlq_detail": self.detail[:2000],
        }


async def send_to_dead_letter(broker: KafkaBroker, letter: DeadLetter) -> None:
    """Publish the original bytes unchanged, so a replay re-drives exactly what arrived."""
    await broker.publish(letter.value, DEAD_LETTER.name, key=letter.key, headers=letter.headers())
    DEAD_LETTERS.labels(letter.consumer, letter.topic, letter.reason).inc()
    log.warning(
        "message dead-lettered",
        consumer=letter.consumer,
        topic=letter.topic,
        partition=letter.partition,
        offset=letter.offset,
        reason=letter.reason,
        detail=letter.detail[:500],
    )

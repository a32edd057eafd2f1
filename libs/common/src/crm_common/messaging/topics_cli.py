"""``python -m crm_common.messaging.topics_cli``: create every topic of the event contract (idempotent)."""

from __future__ import annotations

import asyncio
import os

from crm_common.cli import fail
from crm_common.errors import InfrastructureMissing
from crm_common.events.topics import TOPICS
from crm_common.messaging.broker import ensure_topics


def main() -> None:
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    try:
        created = asyncio.run(ensure_topics(servers))
    except InfrastructureMissing as exc:
        fail(str(exc))
    for topic in TOPICS:
        print(f"{topic.name:32} {'created' if topic.name in created else 'exists'}")


if __name__ == "__main__":
    main()

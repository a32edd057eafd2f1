"""Fixtures of the pipeline and rebuild tests: one live analytics service for the package."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from analytics_testkit import TokenMint, truncate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.app import create_app
from analytics_service.settings import AnalyticsSettings
from crm_testing import unique_topic_prefix


@pytest.fixture(scope="package")
async def live(
    sessions: async_sessionmaker[AsyncSession], settings: AnalyticsSettings, mint: TokenMint
) -> AsyncIterator[str]:
    """The whole service (HTTP + consumers + outbox relay) on a real socket, on topics of its own.

    Started once for this package (joining the consumer group takes a while); each test uses its own business day.
    """
    from crm_common.events.topics import TOPICS
    from crm_common.messaging.broker import ensure_topics
    from crm_testing import kafka_servers, serve_in_thread

    previous = os.environ["KAFKA_TOPIC_PREFIX"]
    os.environ["KAFKA_TOPIC_PREFIX"] = unique_topic_prefix()
    await ensure_topics(kafka_servers(), TOPICS)
    await truncate(sessions)
    app = create_app(settings, token_verifier=mint.verifier)
    try:
        with serve_in_thread(app) as url:
            yield url
    finally:
        os.environ["KAFKA_TOPIC_PREFIX"] = previous
        await truncate(sessions)

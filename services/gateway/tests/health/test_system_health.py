"""``/api/v1/admin/health``: services' readiness, infrastructure, consumer lag; admin:health only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from crm_common.events.topics import Topic, topic_prefix
from crm_common.messaging.broker import ensure_topics
from crm_testing import free_port, kafka_servers


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_health_needs_admin_health(client: httpx.AsyncClient, keys: Any) -> None:
    assert (await client.get("/api/v1/admin/health")).status_code == 401
    response = await client.get("/api/v1/admin/health", headers=bearer(keys.mint(["products:read"])))
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"


async def test_health_reports_each_service_and_the_infrastructure(gateway_factory: Any, keys: Any) -> None:
    with gateway_factory(analytics_url=f"http://127.0.0.1:{free_port()}") as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as c:
            response = await c.get("/api/v1/admin/health", headers=bearer(keys.mint(["admin:health"])))
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["services"]["catalog"]["status"] == "ok"
    assert body["services"]["analytics"]["status"] == "unavailable"
    assert {k: v["status"] for k, v in body["infrastructure"].items()} == {
        "kafka": "ok",
        "postgres": "ok",
        "redis": "ok",
    }


async def test_health_reports_lag_per_consumer_group(client: httpx.AsyncClient, keys: Any) -> None:
    lag_topic = Topic(f"lag-{uuid.uuid4().hex[:6]}", "lag test", compacted=False, partitions=1)
    await ensure_topics(kafka_servers(), [lag_topic])
    topic, group = lag_topic.name, f"{topic_prefix()}lag-group"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers())
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "")})
    finally:
        await consumer.stop()
    response = await client.get("/api/v1/admin/health", headers=bearer(keys.mint(["admin:health"])))
    lag = response.json()["consumer_lag"]
    assert lag["status"] == "ok"
    assert lag["detail"][group] == {"lag": 3, "topics": {topic: 3}}

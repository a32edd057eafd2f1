"""Builders and helpers shared by the catalog tests: events, tokens, Kafka publishing and draining."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Deleted, Folder, Price, Product, ProductKind, Variant
from crm_common.events.topics import Topic
from crm_common.messaging.consumer import Handler
from crm_common.security import StaticKeySource, TokenVerifier
from crm_common.testing import kafka_servers

ACCOUNT = "acc-test"
KID = "test-key"
BASE_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def at(version: int) -> datetime:
    return BASE_TIME + timedelta(seconds=version)


def product_event(product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": product_id, "kind": ProductKind.PRODUCT, "name": f"Product {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "product.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=product_id,
        source_version=version,
        payload=Product(**values),
    )


def deleted_event(entity: str, entity_id: str, version: int) -> EventEnvelope:
    return make_event(
        f"{entity}.deleted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=entity_id,
        source_version=version,
        payload=Deleted(id=entity_id, deleted_at=at(version)),
    )


def folder_event(folder_id: str, version: int, name: str, parent_id: str | None = None, **fields: Any) -> EventEnvelope:
    payload = Folder(id=folder_id, name=name, parent_id=parent_id, updated_at=at(version), **fields)
    return make_event(
        "folder.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=folder_id,
        source_version=version,
        payload=payload,
    )


def variant_event(variant_id: str, product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": variant_id, "product_id": product_id, "name": f"Variant {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "variant.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=variant_id,
        source_version=version,
        payload=Variant(**values),
    )


def price(amount: str, price_type: str = "Цена продажи") -> Price:
    return Price(price_type=price_type, amount=Decimal(amount))


async def apply(sessions: async_sessionmaker[AsyncSession], handler: Handler, *events: EventEnvelope) -> None:
    """Apply events through a use case, one transaction each, as the consumer does (without the inbox)."""
    for event in events:
        async with transaction(sessions) as session:
            await handler(session, event)


class TokenMint:
    """An Ed25519 key the test owns, the verifier that trusts it, and access tokens signed with it."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.verifier = TokenVerifier(
            StaticKeySource({KID: self.key.public_key()}), algorithm="EdDSA", issuer="crm-auth", audience="crm-api"
        )

    def token(self, *permissions: str, ttl: int = 300) -> str:
        now = int(time.time())
        claims = {
            "iss": "crm-auth",
            "aud": "crm-api",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "sub": "user-1",
            "sid": new_id(),
            "jti": new_id(),
            "permissions": list(permissions),
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})

    def headers(self, *permissions: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*permissions)}"}


async def publish(producer: AIOKafkaProducer, topic: Topic, *events: EventEnvelope | tuple[str, bytes]) -> None:
    """Send events (or raw ``(key, bytes)`` pairs) in order and wait for Kafka to acknowledge each."""
    for event in events:
        if isinstance(event, EventEnvelope):
            key, value = event.entity_id, event.to_bytes()
        else:
            key, value = event
        await producer.send_and_wait(topic.name, value, key=key.encode())


async def wait_drained(group_id: str, topics: Iterable[Topic], timeout: float = 45.0) -> None:
    """Wait until ``group_id`` has committed every message now on ``topics`` (that is, handled all of them)."""
    partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_servers(), enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers())
    await consumer.start()
    await admin.start()
    try:
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group_id)
            behind = {
                tp: end for tp, end in ends.items() if end > 0 and (tp not in committed or committed[tp].offset < end)
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer group {group_id} did not catch up: {behind}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
        await consumer.stop()


async def eventually(check: Any, timeout: float = 30.0) -> Any:
    """Call the async ``check`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)

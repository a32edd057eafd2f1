"""``/api/v1/admin/dead-letters`` over the real dead-letter topic: list, show the raw bytes, re-drive, discard."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from auth_testkit import bearer, client_for
from fastapi import FastAPI

from crm_common.events.topics import DEAD_LETTER, PRODUCTS
from crm_common.messaging.broker import ensure_topics
from crm_common.messaging.deadletter import DeadLetter
from crm_common.messaging.replay import REPLAYED_HEADER
from crm_testing import kafka_servers, topic_reader

API = "/api/v1/admin/dead-letters"


@pytest.fixture(scope="module")
async def producer() -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(kafka_servers(), [DEAD_LETTER, PRODUCTS])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all")
    await producer.start()
    yield producer
    await producer.stop()


async def dead_letter(producer: AIOKafkaProducer, service: str, value: bytes, reason: str = "handler_error") -> None:
    """What a consumer's dead-letter path writes (crm_common.messaging.deadletter), straight onto the topic."""
    letter = DeadLetter(service, PRODUCTS.name, 0, 7, b"entity-1", value, reason, "boom: something broke")
    headers = [(k, v.encode()) for k, v in letter.headers().items()]
    await producer.send_and_wait(DEAD_LETTER.name, value, key=letter.key, headers=headers)


async def test_list_filters_and_show_returns_the_raw_bytes(
    app: FastAPI, admin_tokens: dict[str, Any], producer: AIOKafkaProducer
) -> None:
    service, raw = f"catalog-{uuid.uuid4().hex[:6]}", b'{"not": "an event \xff"}'
    await dead_letter(producer, service, raw, "invalid_event")
    await dead_letter(producer, service, b"second", "handler_error")
    async with client_for(app) as client:
        listed = (await client.get(API, params={"service": service}, headers=bearer(admin_tokens))).json()
        by_reason = await client.get(
            API, params={"service": service, "reason": "invalid_event"}, headers=bearer(admin_tokens)
        )
        other_topic = await client.get(API, params={"service": service, "topic": "x.v1"}, headers=bearer(admin_tokens))
        shown = (await client.get(f"{API}/{by_reason.json()['items'][0]['id']}", headers=bearer(admin_tokens))).json()

    assert listed["total"] == 2
    assert {i["reason"] for i in listed["items"]} == {"invalid_event", "handler_error"}
    assert all(i["status"] == "pending" and i["topic"] == PRODUCTS.name for i in listed["items"])
    assert by_reason.json()["total"] == 1
    assert other_topic.json()["total"] == 0
    assert base64.b64decode(shown["value_base64"]) == raw
    assert shown["key"] == "entity-1"
    assert shown["size"] == len(raw)


async def test_redrive_one_publishes_the_original_bytes_to_the_original_topic_and_is_audited(
    app: FastAPI, admin_tokens: dict[str, Any], producer: AIOKafkaProducer
) -> None:
    service, raw = f"inventory-{uuid.uuid4().hex[:6]}", f"payload-{uuid.uuid4()}".encode()
    await dead_letter(producer, service, raw)
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        letter_id = (await client.get(API, params={"service": service}, headers=admin)).json()["items"][0]["id"]
        redriven = await client.post(f"{API}/{letter_id}/redrive", headers=admin)
        trail = await audit_of(client, admin, letter_id)

    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["status"] == "redriven"
    assert redriven.json()["redrives"] == 1
    async with topic_reader(PRODUCTS.name) as reader:
        copies = [r async for r in _records(reader) if r.value == raw]
    assert len(copies) == 1
    assert copies[0].key == b"entity-1"
    assert dict(copies[0].headers)[REPLAYED_HEADER] == b"1"
    assert [e["action"] for e in trail["items"] if e["target_type"] == "dead_letter"] == ["dead_letter.redrive"]


async def test_discard_keeps_the_reason_refuses_a_redrive_and_redrive_all_takes_only_pending(
    app: FastAPI, admin_tokens: dict[str, Any], producer: AIOKafkaProducer
) -> None:
    service = f"analytics-{uuid.uuid4().hex[:6]}"
    await dead_letter(producer, service, b"one")
    await dead_letter(producer, service, b"two")
    admin = bearer(admin_tokens)
    async with client_for(app) as client:
        first, second = (await client.get(API, params={"service": service}, headers=admin)).json()["items"]
        discarded = await client.post(f"{API}/{first['id']}/discard", json={"reason": "test data"}, headers=admin)
        again = await client.post(f"{API}/{first['id']}/redrive", headers=admin)
        all_pending = await client.post(f"{API}/redrive", json={"service": service}, headers=admin)
        nothing_left = await client.post(f"{API}/redrive", json={"service": service}, headers=admin)
        still = (await client.get(API, params={"service": service, "status": "discarded"}, headers=admin)).json()
        trail = await audit_of(client, admin, first["id"])

    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["discard_reason"] == "test data"
    assert again.status_code == 409
    assert again.json()["error"] == "Conflict"
    assert all_pending.json() == {"redriven": [second["id"]]}
    assert nothing_left.json() == {"redriven": []}
    assert [i["id"] for i in still["items"]] == [first["id"]]
    entries = [e for e in trail["items"] if e["target_type"] == "dead_letter"]
    assert [e["action"] for e in entries] == ["dead_letter.discard"]
    assert entries[0]["details"]["why"] == "test data"


async def test_dead_letters_need_their_permission(
    app: FastAPI, viewer_tokens: dict[str, Any], admin_tokens: dict[str, Any]
) -> None:
    async with client_for(app) as client:
        viewer = await client.get(API, headers=bearer(viewer_tokens))
        anonymous = await client.get(API)
        missing = await client.get(f"{API}/0-999999999", headers=bearer(admin_tokens))
        malformed = await client.get(f"{API}/nope", headers=bearer(admin_tokens))
    assert viewer.status_code == 403
    assert anonymous.status_code == 401
    assert missing.status_code == 404
    assert malformed.status_code == 404


async def audit_of(client: Any, admin: dict[str, str], letter_id: str) -> dict[str, Any]:
    params = {"target_id": f"{DEAD_LETTER.name}:{letter_id}"}
    trail: dict[str, Any] = (await client.get("/api/v1/admin/audit", params=params, headers=admin)).json()
    return trail


async def _records(reader: Any) -> AsyncIterator[Any]:
    while batch := await reader.getmany(timeout_ms=1500):
        for records in batch.values():
            for record in records:
                yield record

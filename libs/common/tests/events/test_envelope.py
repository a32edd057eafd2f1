from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from crm_common.events.envelope import EventEnvelope, UnknownEventType, deterministic_event_id, make_event, parse_event
from crm_common.events.models import Deleted, Money, Product, ProductKind
from crm_common.events.topics import PRODUCTS, TOPICS, payload_model, topic_for

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def product() -> Product:
    return Product(
        id="p1", kind=ProductKind.PRODUCT, name="Чайник", buy_price=Money(amount=Decimal("1234.56")), updated_at=NOW
    )


def test_event_round_trips_through_bytes_with_exact_money() -> None:
    event = make_event(
        "product.upserted", source="moysklad", account_id="acc", entity_id="p1", source_version=1, payload=product()
    )
    again = EventEnvelope.from_bytes(event.to_bytes())
    assert again == event
    assert Product.model_validate(again.payload).buy_price == Money(amount=Decimal("1234.56"))


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError):
        Product(id="p1", kind=ProductKind.PRODUCT, name="x", updated_at=datetime(2026, 1, 1))


def test_same_change_gets_the_same_event_id() -> None:
    a = deterministic_event_id("moysklad", "acc", "product.upserted", "p1", 10)
    assert a == deterministic_event_id("moysklad", "acc", "product.upserted", "p1", 10)
    assert a != deterministic_event_id("moysklad", "acc", "product.upserted", "p1", 11)
    assert isinstance(a, uuid.UUID)


def test_every_event_type_has_one_topic() -> None:
    seen: dict[str, str] = {}
    for topic in TOPICS:
        for event_type in topic.events:
            assert event_type not in seen, f"{event_type} on {seen.get(event_type)} and {topic.base_name}"
            seen[event_type] = topic.base_name
    assert topic_for("product.deleted") is PRODUCTS
    assert payload_model("product.upserted") is Product


def test_topic_prefix_isolates_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", "staging.")
    assert PRODUCTS.name == "staging.catalog.products.v1"


def test_a_consumer_reads_the_payload_into_its_model_in_one_pass_and_gets_what_two_passes_give() -> None:
    event = make_event(
        "product.upserted", source="moysklad", account_id="acc", entity_id="p1", source_version=7, payload=product()
    )
    raw = event.to_bytes()
    typed = parse_event(raw, PRODUCTS.events)
    assert isinstance(typed, EventEnvelope)
    assert isinstance(typed.payload, Product)
    assert typed.parsed(Product) is typed.payload  # not validated again
    two_passes = EventEnvelope.from_bytes(raw)
    assert typed.parsed(Product) == two_passes.parsed(Product)
    assert typed.model_dump(exclude={"payload"}) == two_passes.model_dump(exclude={"payload"})
    assert typed.to_bytes() == raw
    deleted = make_event(
        "product.deleted",
        source="moysklad",
        account_id="acc",
        entity_id="p1",
        source_version=8,
        payload=Deleted(id="p1", deleted_at=NOW),
    )
    assert parse_event(deleted.to_bytes(), PRODUCTS.events).parsed(Deleted) == Deleted(id="p1", deleted_at=NOW)


def test_what_one_pass_refuses_is_refused_for_the_same_reason_as_before() -> None:
    event = make_event(
        "product.upserted", source="moysklad", account_id="acc", entity_id="p1", source_version=7, payload=product()
    )
    body = event.model_dump(mode="json")
    with pytest.raises(UnknownEventType) as unknown:
        parse_event(json.dumps({**body, "event_type": "product.renamed"}), PRODUCTS.events)
    assert unknown.value.event_type == "product.renamed"
    bad_payload = json.dumps({**body, "payload": {**body["payload"], "kind": "чайник"}})
    with pytest.raises(ValidationError) as one_pass:
        parse_event(bad_payload, PRODUCTS.events)
    with pytest.raises(ValidationError) as two_passes:
        EventEnvelope.from_bytes(bad_payload).parsed(Product)
    assert one_pass.value.errors() == two_passes.value.errors()
    with pytest.raises(ValidationError, match="occurred_at"):
        parse_event(json.dumps({**body, "occurred_at": "2026-01-02T03:04:05"}), PRODUCTS.events)
    with pytest.raises(ValidationError):
        parse_event(b"not json", PRODUCTS.events)

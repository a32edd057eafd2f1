from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from crm_common.events.envelope import EventEnvelope, deterministic_event_id, make_event
from crm_common.events.models import Money, Product, ProductKind
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

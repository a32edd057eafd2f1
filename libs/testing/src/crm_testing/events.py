"""Canonical catalog events for tests (docs/architecture.md, "Events"): one MoySklad account, versions as seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Deleted, Folder, Product, ProductKind, Variant

ACCOUNT = "acc-test"
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

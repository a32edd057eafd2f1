"""store, counterparty and organization → ``store.*``, ``counterparty.*``, ``organization.*`` events."""

from __future__ import annotations

from typing import Any

from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from moysklad_connector.mapping.common import (
    build_event,
    empty_to_none,
    optional_moment,
    parse_moment,
    ref_id,
    required,
    validated,
)
from moysklad_connector.mapping.lookups import Lookups

COUNTERPARTY_KINDS = {kind.value: kind for kind in m.CounterpartyKind}


def map_store(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    payload = validated(
        m.Store,
        id=required(obj, "id"),
        name=required(obj, "name"),
        code=empty_to_none(obj.get("code")),
        external_code=empty_to_none(obj.get("externalCode")),
        address=empty_to_none(obj.get("address")),
        parent_id=ref_id(obj.get("parent")),
        archived=bool(obj.get("archived", False)),
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event("store.upserted", obj, payload)


def map_counterparty(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    # UZ/KZ company types (docs/moysklad.md, "Entity details") fold into the three canonical kinds by their prefix.
    company_type = str(obj.get("companyType") or "legal")
    kind = next(
        (k for name, k in COUNTERPARTY_KINDS.items() if company_type.startswith(name)), m.CounterpartyKind.LEGAL
    )
    payload = validated(
        m.Counterparty,
        id=required(obj, "id"),
        name=required(obj, "name"),
        kind=kind,
        code=empty_to_none(obj.get("code")),
        external_code=empty_to_none(obj.get("externalCode")),
        inn=empty_to_none(obj.get("inn")),
        email=empty_to_none(obj.get("email")),
        phone=empty_to_none(obj.get("phone")),
        tags=[str(t) for t in obj.get("tags") or []],
        archived=bool(obj.get("archived", False)),
        created_at=optional_moment(obj.get("created")),
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event("counterparty.upserted", obj, payload)


def map_organization(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    payload = validated(
        m.Organization,
        id=required(obj, "id"),
        name=required(obj, "name"),
        inn=empty_to_none(obj.get("inn")),
        archived=bool(obj.get("archived", False)),
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event("organization.upserted", obj, payload)

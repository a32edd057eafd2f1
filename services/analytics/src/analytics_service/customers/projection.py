"""Use cases of the counterparty dimension: each event becomes a version-guarded row."""

from __future__ import annotations

from analytics_service.customers.identity.keys import format_keys, keys_of
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Counterparty, Deleted
from crm_common.versioned import Versioned

PROJECTION = "customers"


def prepare_counterparty(event: EventEnvelope) -> Versioned:
    c = event.parsed(Counterparty)
    row: dict[str, object] = {
        "id": c.id,
        "name": c.name,
        "kind": c.kind.value,
        "inn": c.inn,
        "email": c.email,
        "phone": c.phone,
        "source": event.source,
        "identity_keys": format_keys(keys_of(c.inn, [c.phone, *c.phones], [c.email, *c.emails])),
        "created_at": c.created_at,
        "deleted": False,
        "source_version": event.source_version,
    }
    return Versioned(c.id, event.source_version, row, False, event.occurred_at)


def prepare_counterparty_deleted(event: EventEnvelope) -> Versioned:
    d = event.parsed(Deleted)
    row = {"id": d.id, "deleted": True, "source_version": event.source_version}
    return Versioned(d.id, event.source_version, row, True, event.occurred_at)

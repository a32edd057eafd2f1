"""Events a connector makes: one envelope per source object, with a deterministic id so a republished page is
dropped by consumers (docs/architecture.md, "Events")."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from crm_common.events.envelope import EventEnvelope, deterministic_event_id, make_event
from crm_common.messaging.publisher import too_large

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EventTooLarge(ValueError):
    """A source object whose event Kafka would refuse (docs/operations.md, "Message size"): a ValueError, so the
    mapping loops keep it as a skipped object with its reason instead of failing the page."""


def epoch_micros(moment: datetime) -> int:
    """Epoch microseconds, exact (no float): the usual ``source_version`` of something stamped ``moment``."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def source_event(
    source: str,
    event_type: str,
    *,
    account_id: str,
    entity_id: str,
    version: int,
    payload: BaseModel | dict[str, object],
    when: datetime,
) -> EventEnvelope:
    """The envelope of ``payload``; its id is a function of source, account, type, entity and version. Raises
    EventTooLarge if Kafka would refuse it."""
    event = make_event(
        event_type,
        source=source,
        account_id=account_id,
        entity_id=entity_id,
        source_version=version,
        payload=payload,
        occurred_at=when,
        event_id=deterministic_event_id(source, account_id, event_type, entity_id, version),
    )
    if reason := too_large(event.to_bytes()):
        raise EventTooLarge(reason)
    return event

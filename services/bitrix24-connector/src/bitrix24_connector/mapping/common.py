"""What every Bitrix24 mapper shares: times with offsets to UTC, exact money, ``source_version`` and the envelope.

Dates are ISO 8601 with the portal's offset (``2026-11-20T12:00:00+03:00``, docs/bitrix24.md, "Calling a method").
``DATE_MODIFY`` has whole seconds, so two edits within one second would share a version (and an event id, which
consumers drop as a repeat). The tie-breaker fills the microseconds with a digest of the record as read: two states
within a second get different versions and ids; their order within that second is arbitrary, which is as much as the
source says.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from crm_common.events.envelope import EventEnvelope
from crm_integration.events import epoch_micros, source_event

SOURCE = "bitrix24"


class Unmappable(ValueError):
    """A record the connector cannot turn into a canonical entity (kept as a skipped object)."""


def parse_time(value: Any, field: str = "date") -> datetime:
    """An ISO 8601 time with its offset, in UTC; a time without an offset is refused, not guessed."""
    if not isinstance(value, str) or not value:
        raise Unmappable(f"{field} is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Unmappable(f"{field} {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Unmappable(f"{field} {value!r} has no offset")
    return moment.astimezone(UTC)


def optional_time(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else parse_time(value, field)


def decimal_of(value: Any, field: str) -> Decimal:
    """Exact: money strings as they are, numbers through their shortest text (``279.0`` is 279.0, not a float)."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Unmappable(f"{field} {value!r} is not a number") from None


# Ranked versions (deals) sit one second after the unranked layout of the same stamp. Deals were versioned unranked
# before (stamp + a digest below a second): a deal a connector published then is replaced by its ranked version of
# the same stamp, instead of keeping the older state forever because its digest happened to be larger.
RANKED_OFFSET = 1_000_000
# The most any version of a stamp's second can add to that second: a delete placed after it is newer than them all.
SECOND_SPAN = 1_000_000 + RANKED_OFFSET


def version(modified: datetime, *parts: Any, rank: int | None = None) -> int:
    """Epoch microseconds of ``modified`` (whole seconds at Bitrix24) plus a digest of ``parts`` below a second.
    With a ``rank`` (0-999), the sub-second part orders by it first: of two states within one second, the higher rank
    is the newer one whatever the digests are (and every ranked version is above the unranked ones of that second)."""
    digest = int.from_bytes(hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)).digest()[:8])
    ranked = RANKED_OFFSET + min(max(rank, 0), 999) * 1000 + digest % 1000 if rank is not None else None
    below = digest % 1_000_000 if ranked is None else ranked
    return epoch_micros(modified.replace(microsecond=0)) + below


def envelope(
    event_type: str, portal: str, entity_id: str, source_version: int, payload: Any, when: datetime
) -> EventEnvelope:
    return source_event(
        SOURCE, event_type, account_id=portal, entity_id=entity_id, version=source_version, payload=payload, when=when
    )


def require(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if value in (None, ""):
        raise Unmappable(f"{field} is missing")
    return str(value)

"""Parsing helpers shared by the mappers: MoySklad time, kopecks, references (docs/moysklad.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from crm_common.events.envelope import EventEnvelope
from crm_integration.events import epoch_micros, source_event

SOURCE = "moysklad"
# MoySklad timestamps are Moscow wall time without an offset (docs/moysklad.md#time). The offset depends on the date:
# summer time until 2011, UTC+4 from 2011-03-27 to 2014-10-26, UTC+3 since; the tz database knows all of it.
MSK = ZoneInfo("Europe/Moscow")
_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unmappable(ValueError):
    """A MoySklad object the mapper cannot read; it becomes a dead-letter record."""


def parse_moment(text: Any) -> datetime:
    """``"2020-06-18 01:10:14.316"`` (MSK) → aware UTC datetime; seconds-only and minute forms are accepted too."""
    if not isinstance(text, str):
        raise Unmappable(f"expected a MoySklad date-time string, got {text!r}")
    for pattern in _FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=MSK).astimezone(UTC)
        except ValueError:
            continue
    raise Unmappable(f"bad MoySklad date-time {text!r}")


def optional_moment(text: Any) -> datetime | None:
    return None if text in (None, "") else parse_moment(text)


def format_msk(moment: datetime) -> str:
    """An aware datetime as a MoySklad filter value (MSK, seconds precision, the form every endpoint accepts)."""
    return moment.astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S")


def version_of(moment: datetime) -> int:
    """Epoch microseconds: the ``source_version`` of a MoySklad object."""
    return epoch_micros(moment)


def decimal(value: Any) -> Decimal:
    """An exact decimal from a JSON number (parsed from its text, never through float arithmetic)."""
    if isinstance(value, bool) or value is None:
        raise Unmappable(f"expected a number, got {value!r}")
    try:
        result = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise Unmappable(f"expected a number, got {value!r}") from exc
    if not result.is_finite():
        raise Unmappable(f"expected a finite number, got {value!r}")
    return result


def optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else decimal(value)


def roubles(kopecks: Any) -> Decimal:
    """Kopecks (Float or Int in JSON; docs/moysklad.md, "Money") → exact roubles (a decimal shift, no rounding)."""
    return decimal(kopecks).scaleb(-2)


def ref_id(ref: Any) -> str | None:
    """The id of a ``{"meta": {"href": ".../entity/<type>/<id>"}}`` reference (or of an expanded object)."""
    if not isinstance(ref, dict):
        return None
    if isinstance(ref.get("id"), str):
        return str(ref["id"])
    href = (ref.get("meta") or {}).get("href")
    if not isinstance(href, str):
        return None
    return href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None


def ref_type(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    kind = (ref.get("meta") or {}).get("type")
    return kind if isinstance(kind, str) else None


def required(obj: dict[str, Any], key: str) -> Any:
    value = obj.get(key)
    if value is None or value == "":
        raise Unmappable(f"field {key!r} is missing")
    return value


def empty_to_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def build_event(
    event_type: str,
    obj: dict[str, Any],
    payload: BaseModel | dict[str, Any],
    *,
    entity_id: str | None = None,
    moment: datetime | None = None,
    version: int | None = None,
) -> EventEnvelope:
    """The envelope of a mapped object: id, account and version taken from the MoySklad object itself."""
    account_id = str(required(obj, "accountId"))
    entity = entity_id or str(required(obj, "id"))
    when = moment or parse_moment(required(obj, "updated"))
    version = version_of(when) if version is None else version
    return source_event(
        SOURCE, event_type, account_id=account_id, entity_id=entity, version=version, payload=payload, when=when
    )


def validated(model: type[BaseModel], **fields: Any) -> BaseModel:
    """Build a canonical payload; a validation failure makes the object unmappable, not the sync."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise Unmappable(f"{model.__name__}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from exc

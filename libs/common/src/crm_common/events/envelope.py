"""The envelope every event travels in (docs/architecture.md, "Events").

``source_version`` orders two versions of one entity: integrations derive it from the source's own change stamp
(for MoySklad, ``updated`` in epoch microseconds), so a consumer applies a version only if it is newer than the one
it holds. Payloads are the canonical models of ``crm_common.events.models``: no source ``meta``/``href``, references by
id, money as exact decimals in major units (roubles, not kopecks) with a currency, timestamps UTC with offset.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, Union, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)

from crm_common.tracing import trace_headers

SCHEMA_VERSION = 1
PayloadT = TypeVar("PayloadT", bound=BaseModel)


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(description="Unique per event; consumers de-duplicate on it.")
    event_type: str = Field(description="`<entity>.<change>`, e.g. `product.upserted`, `product.deleted`.")
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    source: str = Field(description="The producing integration, e.g. `moysklad`.", min_length=1)
    account_id: str = Field(description="The source account, so several accounts or integrations coexist.")
    entity_id: str = Field(description="Id of the entity the event is about; also the Kafka key.", min_length=1)
    occurred_at: AwareDatetime = Field(description="When the change happened at the source, UTC.")
    source_version: int = Field(description="Orders versions of one entity: higher is newer.", ge=0)
    payload: dict[str, Any] = Field(description="The canonical model named by `event_type`.")
    trace: dict[str, str] = Field(default_factory=dict, description="W3C trace context (`traceparent`, ...).")

    def parsed(self, model: type[PayloadT]) -> PayloadT:
        """The payload validated as ``model``.

        Read by ``parse_event`` (every consumer), the payload already is that model and is handed out as it is. An
        envelope read as a plain dict (``from_bytes``, ``make_event``) validates it on each call. No private
        attribute caches the model: pydantic sets up a model's private attributes on every instance, ~1.1 µs an
        event on the consumers' hot path.
        """
        payload = self.payload
        if isinstance(payload, model):
            return payload
        return model.model_validate(payload)

    @property
    def entity(self) -> str:
        return self.event_type.split(".", 1)[0]

    @property
    def change(self) -> str:
        return self.event_type.split(".", 1)[1]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> EventEnvelope:
        return cls.model_validate_json(raw)


class UnknownEventType(KeyError):
    """An event whose type is not among those a reader accepts."""

    def __init__(self, event_type: str) -> None:
        super().__init__(event_type)
        self.event_type = event_type


def parse_event(raw: bytes | str, events: Mapping[str, type[BaseModel]]) -> EventEnvelope:
    """``raw`` read in one pass as the envelope of one of ``events`` (event type → payload model), its payload
    straight into that model: what a consumer reads (``parsed`` hands the model out without validating again).

    About twice as fast as ``from_bytes`` then ``parsed``, which build the payload as a dict first. An event that
    does not read that way goes through ``from_bytes`` and ``parsed`` for their error (an unknown event type is a
    ``KeyError``, ``UnknownEventType``), so what is refused, and why, is the same either way.
    """
    try:
        return _typed_envelopes(tuple(events.items())).validate_json(raw)
    except ValidationError:
        event = EventEnvelope.from_bytes(raw)
        model = events.get(event.event_type)
        if model is None:
            raise UnknownEventType(event.event_type) from None
        event.parsed(model)
        return event


@functools.cache
def _typed_envelopes(events: tuple[tuple[str, type[BaseModel]], ...]) -> TypeAdapter[EventEnvelope]:
    """A union of envelopes told apart by ``event_type``, each with its payload typed: ``EventEnvelope`` subclasses,
    so consumers see the same class; ``payload`` holds the model instead of a dict."""
    typed: list[Any] = [
        create_model(
            f"EventEnvelope[{event_type}]",
            __base__=EventEnvelope,
            event_type=(cast(Any, Literal[event_type]), ...),
            payload=(model, ...),
        )
        for event_type, model in events
    ]
    if len(typed) == 1:
        return TypeAdapter(typed[0])
    union: Any = Annotated[Union[tuple(typed)], Field(discriminator="event_type")]  # noqa: UP007 - built at run time
    return TypeAdapter(union)


def make_event(
    event_type: str,
    *,
    source: str,
    account_id: str,
    entity_id: str,
    source_version: int,
    payload: BaseModel | dict[str, Any],
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
    trace: dict[str, str] | None = None,
) -> EventEnvelope:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return EventEnvelope(
        event_id=event_id or uuid.uuid4(),
        event_type=event_type,
        source=source,
        account_id=account_id,
        entity_id=entity_id,
        occurred_at=occurred_at or datetime.now(UTC),
        source_version=source_version,
        payload=body,
        trace=trace if trace is not None else trace_headers(),
    )


EVENT_ID_NAMESPACE = uuid.UUID("6f1f8d2e-51b6-4f4c-9a57-1c4b8f0d2a10")


def deterministic_event_id(source: str, account_id: str, event_type: str, entity_id: str, version: int) -> uuid.UUID:
    """The same change published twice (a re-sync, a retried page) gets the same id, so consumers drop the copy."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{source}|{account_id}|{event_type}|{entity_id}|{version}")

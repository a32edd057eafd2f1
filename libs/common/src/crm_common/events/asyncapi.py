"""Generate the AsyncAPI 3.0 document of the event contract from the code (the topics and payload models).

The document is the reference for anyone writing a new integration (a producer of these events). It is committed at
``docs/events/asyncapi.json``; a test fails when the code and the committed document disagree, and
``python -m crm_common.events.asyncapi > docs/events/asyncapi.json`` regenerates it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crm_common.events.envelope import SCHEMA_VERSION, EventEnvelope
from crm_common.events.topics import DEFAULT_PARTITIONS, TOPICS, Topic

REF_TEMPLATE = "#/components/schemas/{model}"


def _message_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))


def _schemas() -> dict[str, Any]:
    models: set[type[BaseModel]] = {EventEnvelope}
    for topic in TOPICS:
        models |= set(topic.events.values())
    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "validation") for m in ordered], ref_template=REF_TEMPLATE)
    return dict(sorted(top.get("$defs", {}).items()))


def _messages(topic: Topic) -> dict[str, Any]:
    messages = {}
    for event_type, model in topic.events.items():
        messages[_message_name(event_type)] = {
            "name": event_type,
            "title": event_type,
            "contentType": "application/json",
            "summary": f"`{event_type}`: the envelope with a `{model.__name__}` payload.",
            "headers": {
                "type": "object",
                "properties": {"event_type": {"const": event_type}, "source": {"type": "string"}},
            },
            "payload": {
                "allOf": [
                    {"$ref": REF_TEMPLATE.format(model="EventEnvelope")},
                    {
                        "type": "object",
                        "properties": {
                            "event_type": {"const": event_type},
                            "payload": {"$ref": REF_TEMPLATE.format(model=model.__name__)},
                        },
                    },
                ]
            },
        }
    return messages


def build_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        key = topic.base_name.replace(".", "_")
        policy = "compacted (latest state per key)" if topic.compacted else "kept by time"
        partitions = (
            f"{topic.partitions} partitions"
            if topic.partitions
            else f"`KAFKA_TOPIC_PARTITIONS` partitions (default {DEFAULT_PARTITIONS})"
        )
        channels[key] = {
            "address": topic.base_name,
            "description": f"{topic.description} Keyed by `entity_id`; {policy}; {partitions}.",
            "messages": _messages(topic),
        }
        if topic.events:
            operations[f"publish_{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"Integrations and services publish to `{topic.base_name}`.",
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "MoySklad CRM event contract",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": (
                "Canonical, source-neutral events. Every message is an `EventEnvelope` (JSON) whose `payload` is the "
                "model named by `event_type`. Money: decimal strings in major units with an ISO 4217 currency. "
                "Times: ISO 8601 UTC. Quantities: decimals, fractional and negative allowed. Consumers de-duplicate "
                "on `event_id` and apply a version only if `source_version` is newer than the one they hold."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": _schemas()},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())

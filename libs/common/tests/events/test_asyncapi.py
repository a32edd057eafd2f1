from __future__ import annotations

import json
from pathlib import Path

from crm_common.events.asyncapi import build_document, render
from crm_common.events.topics import TOPICS

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "events" / "asyncapi.json"


def test_committed_asyncapi_document_matches_the_code() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/events/asyncapi.json is stale: run `uv run python -m crm_common.events.asyncapi > "
        "docs/events/asyncapi.json`"
    )


def test_every_event_type_is_documented_with_a_resolvable_payload_schema() -> None:
    doc = build_document()
    schemas = doc["components"]["schemas"]
    names = {m["name"] for ch in doc["channels"].values() for m in ch["messages"].values()}
    assert names == {e for t in TOPICS for e in t.events}
    for channel in doc["channels"].values():
        for message in channel["messages"].values():
            ref = message["payload"]["allOf"][1]["properties"]["payload"]["$ref"]
            assert ref.rsplit("/", 1)[1] in schemas
    json.dumps(doc)

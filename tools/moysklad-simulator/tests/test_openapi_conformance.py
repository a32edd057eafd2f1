"""Every implemented endpoint that the official OpenAPI spec covers answers what the spec allows.

The spec is multi-file with recursive $refs; schemathesis keeps the refs and loads it in seconds
here. It is loaded once per session. Needs the dev group: ``uv sync --all-packages --all-groups``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from openapi_spec import in_ci, locate

from moysklad_simulator import SimulatorState
from moysklad_simulator.documents.model import DOCUMENT_TYPES
from moysklad_simulator.testing import RunningSimulator

if in_ci(os.environ):
    import schemathesis  # CI has the dev group; a missing one is a failure, not a skip
else:
    schemathesis = pytest.importorskip("schemathesis")

ENTITIES = (
    "product",
    "productfolder",
    "variant",
    "service",
    "bundle",
    "store",
    "uom",
    "currency",
    "organization",
    "employee",
    "counterparty",
    "webhook",
)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def schema() -> Any:
    return schemathesis.openapi.from_path(str(locate()))


def _cases(state: SimulatorState) -> list[tuple[str, str, dict[str, str]]]:
    cases: list[tuple[str, str, dict[str, str]]] = [("/context/employee", "/context/employee", {})]
    for entity_type in ENTITIES:
        cases.append((f"/entity/{entity_type}", f"/entity/{entity_type}", {"limit": "50"}))
        rows = state.records(entity_type)
        if rows:
            cases.append((f"/entity/{entity_type}/{{id}}", f"/entity/{entity_type}/{rows[0]['id']}", {}))
    # Position rows are not validated: the spec types `assortment` as oneOf(Product, Service, Variant,
    # Bundle, Consignment) without required fields, so any {meta} reference matches several branches and
    # fails oneOf, for real MoySklad responses too. Documents are validated with positions as a MetaArray.
    for doc_type in DOCUMENT_TYPES:
        doc = state.records(doc_type)[0]
        cases += [
            (f"/entity/{doc_type}", f"/entity/{doc_type}", {"limit": "20"}),
            (f"/entity/{doc_type}/{{id}}", f"/entity/{doc_type}/{doc['id']}", {}),
        ]
    # The fidelity cases (data/cases.py): drafts, documents in the bin, VAT on top, services and bundles, old sales.
    for doc_type in ("retaildemand", "demand"):
        cases += [
            (f"/entity/{doc_type}/{{id}}", f"/entity/{doc_type}/{doc['id']}", {})
            for doc in state.records(doc_type)
            if _is_case(doc)
        ]
    cases.append(("/entity/retaildemand", "/entity/retaildemand", {"filter": "isDeleted=true"}))
    return cases


def _is_case(doc: dict[str, Any]) -> bool:
    odd_lines = any(p.assortment.type in ("service", "bundle") for p in doc["_positions"])
    return not doc["applicable"] or bool(doc.get("_trashed")) or not doc["vatIncluded"] or odd_lines


def _operation(schema: Any, template: str) -> Any:
    try:
        return schema[template]["GET"]
    except Exception:
        return None


def test_responses_conform_to_the_official_spec(schema: Any, server: RunningSimulator) -> None:
    server.state.add("webhook", _webhook(server.state))
    failures: list[str] = []
    checked = 0
    with httpx.Client(base_url=server.api_url, auth=server.basic_auth, headers={"Accept-Encoding": "gzip"}) as client:
        for template, path, params in _cases(server.state):
            operation = _operation(schema, template)
            if operation is None:
                continue
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, response.text[:300])
            try:
                operation.validate_response(response)
            except Exception as error:
                failures.append(f"{template}: {str(error)[:600]}")
            checked += 1
    assert checked >= 30
    assert not failures, "\n\n".join(failures)


def test_validation_rejects_a_wrong_type(schema: Any, server: RunningSimulator) -> None:
    """The check is real: a product whose name is a number fails validation."""
    product = server.state.records("product")[0]
    with httpx.Client(base_url=server.api_url, auth=server.basic_auth, headers={"Accept-Encoding": "gzip"}) as client:
        response = client.get(f"/entity/product/{product['id']}")
    broken = httpx.Response(
        200,
        json={**response.json(), "name": 12345},
        request=response.request,
        headers={"Content-Type": "application/json;charset=utf-8"},
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - schemathesis raises its own failure group
        schema["/entity/product/{id}"]["GET"].validate_response(broken)


def _webhook(state: SimulatorState) -> dict[str, Any]:
    from moysklad_simulator.data.common import record

    hook = record(
        state,
        "webhook",
        state.next_updated(),
        owned=False,
        entityType="product",
        url="https://example.test/hook",
        method="POST",
        enabled=True,
        action="CREATE",
    )
    hook.pop("updated")
    return hook

"""Hypothesis drives the integrations admin API through create → read → update → update → delete sequences.

A model of what should be stored is kept beside the real server (real HTTP, real Postgres); every step compares
the two. A 5xx at any step fails the machine.
"""

from __future__ import annotations

import uuid

import httpx
from connector_testkit import ADMIN_MINT
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

mint = ADMIN_MINT
PATH = "/api/v1/admin/integrations"


class IntegrationsMachine(RuleBasedStateMachine):
    url: str
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=mint.headers("admin:integrations"))
        self.model: dict[str, dict[str, object]] = {}
        self.counter = 0
        self.prefix = f"sm-{uuid.uuid4().hex[:8]}-"

    def _put(self, integration_id: str, username: str, enabled: bool) -> httpx.Response:
        body = {
            "id": integration_id,
            "base_url": "http://ms.invalid/api/remap/1.2",
            "username": username,
            "password": "pw",
            "enabled": enabled,
        }
        response = self.client.put(PATH, json=body)
        assert response.status_code == 200, (response.status_code, response.text)
        return response

    @rule(target=ids, enabled=st.booleans())
    def create(self, enabled: bool) -> str:
        self.counter += 1
        integration_id = f"{self.prefix}{self.counter}"
        self._put(integration_id, "first", enabled)
        self.model[integration_id] = {"username": "first", "enabled": enabled}
        return integration_id

    @rule(integration_id=ids, username=st.sampled_from(["admin@shop", "ops@shop"]), enabled=st.booleans())
    def update(self, integration_id: str, username: str, enabled: bool) -> None:
        if integration_id not in self.model:
            return
        got = self._put(integration_id, username, enabled).json()
        assert (got["username"], got["enabled"]) == (username, enabled)
        self.model[integration_id] = {"username": username, "enabled": enabled}

    @rule(integration_id=consumes(ids))
    def delete(self, integration_id: str) -> None:
        response = self.client.delete(f"{PATH}/{integration_id}")
        expected = 204 if self.model.pop(integration_id, None) is not None else 404
        assert response.status_code == expected, (response.status_code, response.text)

    @invariant()
    def listing_matches_the_model(self) -> None:
        response = self.client.get(PATH)
        assert response.status_code == 200, response.text
        mine = {i["id"]: i for i in response.json() if i["id"].startswith(self.prefix)}
        assert set(mine) == set(self.model)
        for integration_id, expected in self.model.items():
            got = mine[integration_id]
            assert {"username": got["username"], "enabled": got["enabled"]} == expected

    def teardown(self) -> None:
        for integration_id in list(self.model):
            self.client.delete(f"{PATH}/{integration_id}")
        self.client.close()


def test_integrations_survive_any_sequence_of_admin_calls(api: str) -> None:
    IntegrationsMachine.url = api
    run_state_machine_as_test(
        IntegrationsMachine,
        settings=settings(
            max_examples=15, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )

"""Hypothesis drives the users and roles admin API through create → read → update → update → delete sequences.

A model of what should be stored is kept beside the real server (real HTTP on a socket, real Postgres and Redis);
after every step each user and role of this run is read back and compared with the model. Invalid steps (a taken
email, an unknown role or permission, a deleted id, a built-in role) must answer 4xx with the error body; a 5xx at
any step fails the machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from auth_testkit import PASSWORD, make_user
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from auth_service.app import create_app
from auth_service.context import AuthContext
from auth_service.settings import AuthSettings
from crm_testing import serve_in_thread

USERS, ROLES = "/api/v1/admin/users", "/api/v1/admin/roles"
BUILT_IN = ("manager", "viewer")
PERMISSIONS = ("products:read", "inventory:read", "analytics:read", "no-such:permission")
MISSING = "00000000-0000-0000-0000-000000000000"


def refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert set(response.json()) >= {"error", "detail"}, response.text


class AdminMachine(RuleBasedStateMachine):
    url: str
    admin_headers: dict[str, str]
    users = Bundle("users")
    roles = Bundle("roles")

    def __init__(self) -> None:
        super().__init__()
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=self.admin_headers)
        self.tag = uuid.uuid4().hex[:8]
        self.users_model: dict[str, dict[str, Any]] = {}  # id → email, is_active, roles
        self.roles_model: dict[str, dict[str, Any]] = {}  # name → description, permissions
        self.deleted_users: set[str] = set()

    def _email(self, n: int) -> str:
        return f"sm-{self.tag}-{n}@example.com"

    def _email_taken(self, email: str, but: str | None = None) -> bool:
        return any(u["email"] == email for i, u in self.users_model.items() if i != but)

    def _assignable(self) -> list[str]:
        return [*BUILT_IN, *self.roles_model]

    # ---------------------------------------------------------------------------------------------- users
    @rule(target=users, n=st.integers(0, 5), active=st.booleans(), pick=st.lists(st.integers(0, 6), max_size=2))
    def create_user(self, n: int, active: bool, pick: list[int]) -> str:
        email, names = self._email(n), sorted({self._assignable()[i % len(self._assignable())] for i in pick})
        body = {"email": email.upper(), "password": PASSWORD, "roles": names, "is_active": active}
        response = self.client.post(USERS, json=body)
        if self._email_taken(email):
            refused(response, 409)
            return MISSING
        assert response.status_code == 201, (response.status_code, response.text)
        user_id = str(response.json()["id"])
        self.users_model[user_id] = {"email": email, "is_active": active, "roles": names}
        return user_id

    @rule(user_id=users, n=st.none() | st.integers(0, 5), active=st.none() | st.booleans())
    def update_user(self, user_id: str, n: int | None, active: bool | None) -> None:
        body = {
            k: v for k, v in (("email", None if n is None else self._email(n)), ("is_active", active)) if v is not None
        }
        response = self.client.patch(f"{USERS}/{user_id}", json=body)
        if user_id not in self.users_model:
            refused(response, 404)
            return
        if "email" in body and self._email_taken(body["email"], but=user_id):
            refused(response, 409)
            return
        assert response.status_code == 200, (response.status_code, response.text)
        self.users_model[user_id].update(body)

    @rule(user_id=users, pick=st.lists(st.integers(0, 6), max_size=3), unknown=st.booleans())
    def assign_roles(self, user_id: str, pick: list[int], unknown: bool) -> None:
        names = sorted({self._assignable()[i % len(self._assignable())] for i in pick})
        response = self.client.put(
            f"{USERS}/{user_id}/roles", json={"roles": [*names, *(["nope-role"] if unknown else [])]}
        )
        if user_id not in self.users_model:
            refused(response, 404)
        elif unknown:
            refused(response, 422)
        else:
            assert response.status_code == 200, (response.status_code, response.text)
            self.users_model[user_id]["roles"] = names

    @rule(user_id=consumes(users))
    def delete_user(self, user_id: str) -> None:
        response = self.client.delete(f"{USERS}/{user_id}")
        if self.users_model.pop(user_id, None) is None:
            refused(response, 404)
        else:
            assert response.status_code == 204, (response.status_code, response.text)
            self.deleted_users.add(user_id)

    # ---------------------------------------------------------------------------------------------- roles
    @rule(target=roles, n=st.integers(0, 3), grants=st.sets(st.sampled_from(PERMISSIONS), max_size=2))
    def create_role(self, n: int, grants: set[str]) -> str:
        name = f"sm-{self.tag}-{n}"
        response = self.client.post(ROLES, json={"name": name, "description": "first", "permissions": sorted(grants)})
        if "no-such:permission" in grants:
            refused(response, 422)
        elif name in self.roles_model:
            refused(response, 409)
        else:
            assert response.status_code == 201, (response.status_code, response.text)
            self.roles_model[name] = {"description": "first", "permissions": sorted(grants)}
        return name

    @rule(
        name=roles,
        description=st.none() | st.sampled_from(["second", "third"]),
        grants=st.none() | st.sets(st.sampled_from(PERMISSIONS), max_size=2),
    )
    def update_role(self, name: str, description: str | None, grants: set[str] | None) -> None:
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if grants is not None:
            body["permissions"] = sorted(grants)
        response = self.client.patch(f"{ROLES}/{name}", json=body)
        if name not in self.roles_model:
            refused(response, 404)
        elif grants is not None and "no-such:permission" in grants:
            refused(response, 422)
        else:
            assert response.status_code == 200, (response.status_code, response.text)
            self.roles_model[name].update(body)

    @rule(name=consumes(roles))
    def delete_role(self, name: str) -> None:
        response = self.client.delete(f"{ROLES}/{name}")
        if self.roles_model.pop(name, None) is None:
            refused(response, 404)
            return
        assert response.status_code == 204, (response.status_code, response.text)
        for user in self.users_model.values():  # holders lose the role with it
            user["roles"] = [r for r in user["roles"] if r != name]

    @rule(name=st.sampled_from(BUILT_IN))
    def built_in_roles_cannot_be_deleted(self, name: str) -> None:
        refused(self.client.delete(f"{ROLES}/{name}"), 409)

    # ---------------------------------------------------------------------------------------------- invariants
    @invariant()
    def users_match_the_model(self) -> None:
        response = self.client.get(USERS, params={"email": f"sm-{self.tag}-", "limit": 200})
        assert response.status_code == 200, response.text
        listed = {u["id"]: u for u in response.json()["items"]}
        assert set(listed) == set(self.users_model)
        for user_id, expected in self.users_model.items():
            one = self.client.get(f"{USERS}/{user_id}").json()
            for got in (listed[user_id], one):
                assert {"email": got["email"], "is_active": got["is_active"], "roles": sorted(got["roles"])} == expected
        for user_id in self.deleted_users:
            refused(self.client.get(f"{USERS}/{user_id}"), 404)

    @invariant()
    def roles_match_the_model(self) -> None:
        items: list[dict[str, Any]] = []
        while True:  # every page: roles of earlier runs may be there too
            response = self.client.get(ROLES, params={"limit": 200, "offset": len(items)})
            assert response.status_code == 200, response.text
            items += response.json()["items"]
            if not response.json()["items"] or len(items) >= response.json()["total"]:
                break
        mine = {r["name"]: r for r in items if r["name"].startswith(f"sm-{self.tag}-")}
        assert set(mine) == set(self.roles_model)
        for name, expected in self.roles_model.items():
            got = mine[name]
            assert {"description": got["description"], "permissions": sorted(got["permissions"])} == expected
            assert got["built_in"] is False

    def teardown(self) -> None:
        for user_id in list(self.users_model):
            self.client.delete(f"{USERS}/{user_id}")
        for name in list(self.roles_model):
            self.client.delete(f"{ROLES}/{name}")
        self.client.close()


@pytest.fixture(scope="module")
def served(settings: AuthSettings) -> Iterator[str]:
    with serve_in_thread(create_app(settings)) as url:
        yield url


async def test_users_and_roles_survive_any_sequence_of_admin_calls(served: str, ctx: AuthContext) -> None:
    admin = await make_user(ctx, ["admin"])
    async with httpx.AsyncClient(base_url=served, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    AdminMachine.url = served
    AdminMachine.admin_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    run_state_machine_as_test(
        AdminMachine,
        settings=settings(
            max_examples=12, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )

"""``user.get`` over HTTP: the documented fields, paging by 50, filters (``ACTIVE``, departments, prefixes), sort."""

from __future__ import annotations

from typing import Any

from bitrix24_simulator.testing import RunningSimulator

from ..conftest import call


def _users(sim: RunningSimulator, **params: Any) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        response = call(sim, "user.get", start=start, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        users += body["result"]
        start = body.get("next")
    assert body["total"] == len(users)
    return users


def test_users_page_by_50_with_the_documented_fields(server: RunningSimulator) -> None:
    first = call(server, "user.get").json()
    users = _users(server)
    assert (len(first["result"]), first["next"], first["total"]) == (50, 50, 60)
    assert [u["ID"] for u in users] == [str(i) for i in range(1, 61)]
    user = users[0]
    assert {"ID", "ACTIVE", "NAME", "LAST_NAME", "SECOND_NAME", "EMAIL", "UF_DEPARTMENT", "USER_TYPE"} <= set(user)
    assert (type(user["ACTIVE"]), user["UF_DEPARTMENT"], user["USER_TYPE"]) == (bool, [3], "employee")


def test_every_deal_is_assigned_to_a_user_the_portal_lists(server: RunningSimulator) -> None:
    users = {u["ID"] for u in _users(server)}
    assert {d["ASSIGNED_BY_ID"] for d in server.portal.records("deal")} <= users


def test_filters_and_sort(server: RunningSimulator) -> None:
    everyone = _users(server)
    active = _users(server, FILTER={"ACTIVE": True})
    assert [u["ID"] for u in active] == [u["ID"] for u in everyone if u["ACTIVE"]]
    assert len(active) < len(everyone)
    sales = _users(server, UF_DEPARTMENT=3)  # top level, as the documented example passes it
    assert [u["ID"] for u in sales] == ["1", "3", "5", "7", "9"]
    some = _users(server, filter={"@ID": ["3", "7", "999"]})
    assert [u["ID"] for u in some] == ["3", "7"]
    name = everyone[4]["LAST_NAME"]
    assert all(name[:3] in u["LAST_NAME"] for u in _users(server, filter={"%LAST_NAME": name[:3]}))
    backwards = call(server, "user.get", sort="ID", order="DESC").json()["result"]
    assert backwards[0]["ID"] == "60"
    assert call(server, "user.get", FILTER="nope").status_code == 400

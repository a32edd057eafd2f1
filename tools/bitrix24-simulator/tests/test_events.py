"""event.bind/get/unbind and delivery to a real local handler; create → update → update → delete sequences."""

from __future__ import annotations

import time

import httpx

from bitrix24_simulator.testing import RunningSimulator

from .conftest import Receiver, call, result


def _wait_for(receiver: Receiver, count: int) -> list[dict[str, str]]:
    deadline = time.monotonic() + 10
    while len(receiver.posts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return receiver.posts


def _bind(sim: RunningSimulator, receiver: Receiver, *events: str) -> None:
    for event in events:
        assert result(sim, "event.bind", event=event, handler=receiver.url) is True


def test_contact_lifecycle_sends_add_update_update_delete(fresh: RunningSimulator, receiver: Receiver) -> None:
    _bind(fresh, receiver, "ONCRMCONTACTADD", "ONCRMCONTACTUPDATE", "ONCRMCONTACTDELETE")
    new_id = result(fresh, "crm.contact.add", fields={"NAME": "Ivan", "PHONE": [{"VALUE": "8 (900) 000-00-01"}]})
    result(fresh, "crm.contact.update", id=new_id, fields={"LAST_NAME": "Petrov"})
    result(
        fresh, "crm.contact.update", id=new_id, fields={"EMAIL": [{"VALUE": "IVAN@EXAMPLE.RU", "VALUE_TYPE": "HOME"}]}
    )
    result(fresh, "crm.contact.delete", id=new_id)
    posts = _wait_for(receiver, 4)
    assert [p["event"] for p in posts] == [
        "ONCRMCONTACTADD",
        "ONCRMCONTACTUPDATE",
        "ONCRMCONTACTUPDATE",
        "ONCRMCONTACTDELETE",
    ]
    assert {p["data[FIELDS][ID]"] for p in posts} == {str(new_id)}
    assert set(receiver.content_types) == {"application/x-www-form-urlencoded"}


def test_event_form_carries_ts_and_auth_with_application_token(fresh: RunningSimulator, receiver: Receiver) -> None:
    _bind(fresh, receiver, "ONCRMDEALUPDATE")
    result(fresh, "crm.deal.update", id=1, fields={"TITLE": "renamed"})
    post = _wait_for(receiver, 1)[0]
    assert post["auth[application_token]"] == fresh.settings.application_token.get_secret_value()
    assert post["auth[domain]"] == fresh.settings.domain
    assert post["ts"].isdigit()
    assert post["event_handler_id"].isdigit()


def test_deleted_contact_is_gone_from_get_and_list(fresh: RunningSimulator) -> None:
    new_id = result(fresh, "crm.contact.add", fields={"NAME": "Temp"})
    result(fresh, "crm.contact.delete", id=new_id)
    assert call(fresh, "crm.contact.get", id=new_id).json()["error_description"] == "Not found"
    listed = result(fresh, "crm.contact.list", filter={"ID": new_id})
    assert listed == []
    assert call(fresh, "crm.contact.delete", id=new_id).status_code == 400


def test_update_changes_date_modify_and_multiple_fields(fresh: RunningSimulator) -> None:
    new_id = result(fresh, "crm.contact.add", fields={"NAME": "A", "PHONE": [{"VALUE": "+79000000001"}]})
    phone_id = result(fresh, "crm.contact.get", id=new_id)["PHONE"][0]["ID"]
    result(fresh, "crm.contact.update", id=new_id, fields={"PHONE": [{"ID": phone_id, "VALUE": "+79000000002"}]})
    assert [p["VALUE"] for p in result(fresh, "crm.contact.get", id=new_id)["PHONE"]] == ["+79000000002"]
    result(fresh, "crm.contact.update", id=new_id, fields={"PHONE": [{"ID": phone_id, "DELETE": "Y"}]})
    got = result(fresh, "crm.contact.get", id=new_id)
    assert (got["PHONE"], got["HAS_PHONE"]) == ([], "N")


def test_winning_a_deal_closes_it(fresh: RunningSimulator) -> None:
    deal_id = result(fresh, "crm.deal.add", fields={"TITLE": "t", "CATEGORY_ID": 1, "OPPORTUNITY": 1500})
    created = result(fresh, "crm.deal.get", id=deal_id)
    assert (created["STAGE_ID"], created["CLOSED"], created["OPPORTUNITY"]) == ("C1:NEW", "N", "1500.00")
    result(fresh, "crm.deal.update", id=deal_id, fields={"STAGE_ID": "C1:WON"})
    won = result(fresh, "crm.deal.get", id=deal_id)
    assert (won["CLOSED"], won["STAGE_SEMANTIC_ID"]) == ("Y", "S")
    assert won["CLOSEDATE"] is not None
    assert call(fresh, "crm.deal.update", id=deal_id, fields={"STAGE_ID": "WON"}).status_code == 400
    assert result(fresh, "crm.deal.get", id=deal_id)["STAGE_ID"] == "C1:WON"


def test_product_rows_set_replaces_rows_and_recomputes_the_amount(fresh: RunningSimulator) -> None:
    rows = [{"PRODUCT_ID": 1, "PRICE": 100.5, "QUANTITY": 2}, {"PRODUCT_ID": 2, "PRICE": 10, "QUANTITY": 1}]
    assert result(fresh, "crm.deal.productrows.set", id=1, rows=rows) is True
    got = result(fresh, "crm.deal.productrows.get", id=1)
    assert [(r["PRODUCT_ID"], r["PRICE"], r["QUANTITY"]) for r in got] == [(1, 100.5, 2.0), (2, 10.0, 1.0)]
    assert result(fresh, "crm.deal.get", id=1)["OPPORTUNITY"] == "211.00"


def test_event_get_and_unbind(fresh: RunningSimulator, receiver: Receiver) -> None:
    _bind(fresh, receiver, "ONCRMCOMPANYADD")
    assert result(fresh, "event.get") == [
        {"event": "ONCRMCOMPANYADD", "handler": receiver.url, "auth_type": "0", "offline": 0}
    ]
    assert result(fresh, "event.unbind", event="ONCRMCOMPANYADD", handler=receiver.url) == {"count": 1}
    result(fresh, "crm.company.add", fields={"TITLE": "x"})
    time.sleep(0.2)  # nothing may arrive; a short grace period, not a timing assertion
    assert receiver.posts == []


def test_bind_errors(fresh: RunningSimulator, receiver: Receiver) -> None:
    unknown = call(fresh, "event.bind", event="ONNOTHING", handler=receiver.url)
    assert (unknown.status_code, unknown.json()["error"]) == (400, "ERROR_EVENT_NOT_FOUND")
    _bind(fresh, receiver, "ONCRMDEALADD")
    again = call(fresh, "event.bind", event="ONCRMDEALADD", handler=receiver.url)
    assert again.json()["error"] == "ERROR_HANDLER_ALREADY_EXIST"


def test_unreachable_handler_is_logged_not_fatal(fresh: RunningSimulator) -> None:
    result(fresh, "event.bind", event="ONCRMDEALUPDATE", handler="http://127.0.0.1:9/none")
    result(fresh, "crm.deal.update", id=1, fields={"TITLE": "x"})
    deadline = time.monotonic() + 10
    while not fresh.portal.event_log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "error" in fresh.portal.event_log[0]
    assert httpx.get(f"{fresh.base_url}/__sim/state").json()["eventDeliveries"][0]["event"] == "ONCRMDEALUPDATE"

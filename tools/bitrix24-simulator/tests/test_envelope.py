"""The envelope, the webhook URL forms, parameter encodings and error bodies."""

from __future__ import annotations

from datetime import datetime

import httpx

from bitrix24_simulator.testing import RunningSimulator

from .conftest import call


def test_get_answers_result_and_time_with_documented_keys(server: RunningSimulator) -> None:
    body = httpx.get(f"{server.webhook_url}crm.deal.get", params={"id": 1}).json()
    assert set(body) == {"result", "time"}
    assert body["result"]["ID"] == "1"
    timing = body["time"]
    for key in ("start", "finish", "duration", "processing", "date_start", "date_finish", "operating"):
        assert key in timing
    assert datetime.fromisoformat(timing["date_start"]).utcoffset() is not None


def test_json_suffix_and_post_form_and_json_bodies_are_the_same_call(server: RunningSimulator) -> None:
    by_get = httpx.get(f"{server.webhook_url}crm.deal.get.json?id=2").json()["result"]
    by_form = httpx.post(f"{server.webhook_url}crm.deal.get", data={"id": "2"}).json()["result"]
    by_json = call(server, "crm.deal.get", id=2).json()["result"]
    assert by_get == by_form == by_json


def test_deal_fields_have_documented_forms(server: RunningSimulator) -> None:
    deal = httpx.get(f"{server.webhook_url}crm.deal.get?id=3").json()["result"]
    assert deal["CURRENCY_ID"] == "RUB"
    assert deal["OPPORTUNITY"].replace(".", "").isdigit()
    assert deal["OPPORTUNITY"][-3] == "."
    assert deal["CLOSED"] in ("Y", "N")
    assert datetime.fromisoformat(deal["DATE_CREATE"]).utcoffset().total_seconds() == 3 * 3600  # type: ignore[union-attr]
    assert deal["DATE_CREATE"].endswith("+03:00")


def test_contact_get_returns_multiple_fields(server: RunningSimulator) -> None:
    contact = next(c for c in server.portal.records("contact") if c["PHONE"])
    got = httpx.get(f"{server.webhook_url}crm.contact.get?id={contact['ID']}").json()["result"]
    assert set(got["PHONE"][0]) == {"ID", "VALUE_TYPE", "VALUE", "TYPE_ID"}
    assert got["PHONE"][0]["TYPE_ID"] == "PHONE"


def test_unknown_webhook_code_is_401_no_auth_found(server: RunningSimulator) -> None:
    response = httpx.get(f"{server.base_url}/rest/1/wrongcode/crm.deal.list")
    assert response.status_code == 401
    assert response.json() == {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}


def test_expired_webhook_is_401_expired_token(fresh: RunningSimulator) -> None:
    httpx.put(f"{fresh.base_url}/__sim/webhook", json={"expired": True}).raise_for_status()
    response = call(fresh, "crm.deal.list")
    assert (response.status_code, response.json()["error"]) == (401, "expired_token")
    httpx.put(f"{fresh.base_url}/__sim/webhook", json={"expired": False}).raise_for_status()
    assert call(fresh, "crm.deal.list").status_code == 200


def test_unknown_method_is_404_error_method_not_found(server: RunningSimulator) -> None:
    response = call(server, "crm.nosuch.list")
    assert response.status_code == 404
    assert response.json()["error"] == "ERROR_METHOD_NOT_FOUND"


def test_missing_record_is_400_not_found(server: RunningSimulator) -> None:
    response = call(server, "crm.deal.get", id=999_999)
    assert response.status_code == 400
    assert response.json() == {"error": "", "error_description": "Not found"}


def test_bad_id_is_400(server: RunningSimulator) -> None:
    response = call(server, "crm.contact.get", id="abc")
    assert (response.status_code, response.json()["error_description"]) == (400, "ID is not defined or invalid.")


def test_filter_that_is_not_an_object_is_400(server: RunningSimulator) -> None:
    response = httpx.get(f"{server.webhook_url}crm.deal.list?filter=5")
    assert (response.status_code, response.json()["error_description"]) == (400, "Parameter 'filter' must be array.")


def test_add_without_fields_is_400(server: RunningSimulator) -> None:
    response = call(server, "crm.contact.add")
    assert (response.status_code, response.json()["error_description"]) == (400, "Parameter 'fields' must be array.")

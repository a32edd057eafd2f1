"""batch: keys, totals and next, references between calls, halt, length limit, no nesting."""

from __future__ import annotations

import httpx

from bitrix24_simulator.testing import RunningSimulator

from .conftest import call, result


def test_batch_answers_every_section_keyed_like_cmd(server: RunningSimulator) -> None:
    body = result(server, "batch", halt=0, cmd={"deals": "crm.deal.list?select[]=ID", "one": "crm.deal.get?id=1"})
    assert set(body) == {"result", "result_error", "result_total", "result_next", "result_time"}
    assert body["result"]["one"]["ID"] == "1"
    assert body["result_total"] == {"deals": len(server.portal.records("deal"))}
    assert body["result_next"] == {"deals": 50}
    assert set(body["result_time"]) == {"deals", "one"}
    assert body["result_error"] == []  # PHP's empty array


def test_references_pass_results_to_later_calls(server: RunningSimulator) -> None:
    deal = next(d for d in server.portal.records("deal") if d["CONTACT_ID"])
    body = result(
        server,
        "batch",
        cmd={
            "list": f"crm.deal.list?filter[ID]={deal['ID']}&select[]=ID&select[]=CONTACT_ID",
            "deal": "crm.deal.get?id=$result[list][0][ID]",
            "contact": "crm.contact.get?id=$result[deal][CONTACT_ID]",
        },
    )
    assert body["result"]["contact"]["ID"] == deal["CONTACT_ID"]


def test_reference_to_an_added_id(fresh: RunningSimulator) -> None:
    body = result(
        fresh,
        "batch",
        cmd={
            "add": "crm.contact.add?fields[NAME]=Ivan&fields[PHONE][0][VALUE]=%2B79000000001",
            "get": "crm.contact.get?id=$result[add]",
        },
    )
    assert body["result"]["get"]["ID"] == str(body["result"]["add"])
    assert body["result"]["get"]["PHONE"][0]["VALUE"] == "+79000000001"


def test_without_halt_every_call_runs_and_errors_are_collected(server: RunningSimulator) -> None:
    body = result(server, "batch", halt=0, cmd={"bad": "crm.deal.get?id=999999", "good": "crm.deal.get?id=1"})
    assert body["result_error"] == {"bad": {"error": "", "error_description": "Not found"}}
    assert "good" in body["result"]


def test_halt_stops_at_the_first_error(server: RunningSimulator) -> None:
    body = result(server, "batch", halt=1, cmd={"bad": "crm.deal.get?id=999999", "good": "crm.deal.get?id=1"})
    assert set(body["result_error"]) == {"bad"}
    assert body["result"] == []


def test_calls_past_the_fiftieth_fail_with_batch_length_exceeded(server: RunningSimulator) -> None:
    commands = {f"c{i}": f"crm.deal.get?id={i + 1}" for i in range(52)}
    body = result(server, "batch", cmd=commands)
    assert len(body["result"]) == 50
    assert {k: v["error"] for k, v in body["result_error"].items()} == {
        "c50": "ERROR_BATCH_LENGTH_EXCEEDED",
        "c51": "ERROR_BATCH_LENGTH_EXCEEDED",
    }


def test_nested_batch_is_not_allowed(server: RunningSimulator) -> None:
    body = result(server, "batch", cmd={"inner": "batch?cmd[a]=crm.deal.get%3Fid%3D1"})
    assert body["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_batch_in_a_query_string_is_double_encoded(server: RunningSimulator) -> None:
    query = {"cmd[d]": "crm.deal.list?filter%5B%3EID%5D=40&select%5B%5D=ID", "halt": "0"}
    body = httpx.get(f"{server.webhook_url}batch", params=query).json()["result"]
    assert body["result"]["d"][0]["ID"] == "41"


def test_batch_without_cmd_is_400(server: RunningSimulator) -> None:
    assert call(server, "batch").status_code == 400

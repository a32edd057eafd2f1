"""``crm.stagehistory.list`` over HTTP: the documented shape and paging, history consistent with every deal's stage,
moves recorded by the API and live mode, clear errors for what the method refuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.testing import RunningSimulator

from ..conftest import call, result


def _history(sim: RunningSimulator, **params: Any) -> list[dict[str, Any]]:
    """Every page (``start`` = ``next``) of the deals' history under ``params``."""
    items: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        response = call(sim, "crm.stagehistory.list", entityTypeId=2, start=start, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["result"]["items"]) <= 50
        items += body["result"]["items"]
        start = body.get("next")
    assert body["total"] == len(items)
    return items


def test_every_deal_has_a_history_that_ends_in_its_current_stage(server: RunningSimulator) -> None:
    items = _history(server)
    deals = {d["ID"]: d for d in server.portal.records("deal")}
    assert [i["ID"] for i in items] == list(range(1, len(items) + 1))
    assert {type(i[k]) for i in items for k in ("ID", "TYPE_ID", "OWNER_ID", "CATEGORY_ID")} == {int}
    by_deal: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_deal.setdefault(str(item["OWNER_ID"]), []).append(item)
    assert set(by_deal) == set(deals)
    for deal_id, moves in by_deal.items():
        deal = deals[deal_id]
        first, last = moves[0], moves[-1]
        assert (first["TYPE_ID"], first["CREATED_TIME"]) == (1, deal["DATE_CREATE"])
        assert first["STAGE_ID"].endswith("NEW")
        assert (last["STAGE_ID"], last["STAGE_SEMANTIC_ID"]) == (deal["STAGE_ID"], deal["STAGE_SEMANTIC_ID"])
        assert all(m["CATEGORY_ID"] == int(deal["CATEGORY_ID"]) for m in moves)
        assert [m["TYPE_ID"] for m in moves[1:]] == [3 if m["STAGE_SEMANTIC_ID"] in "SF" else 2 for m in moves[1:]]
        times = [datetime.fromisoformat(m["CREATED_TIME"]) for m in moves]
        assert times == sorted(times)
        assert times[-1] <= datetime.fromisoformat(deal["DATE_MODIFY"])
    lost = [moves for moves in by_deal.values() if moves[-1]["STAGE_SEMANTIC_ID"] == "F"]
    assert lost
    assert all(moves[-2]["STAGE_SEMANTIC_ID"] == "P" for moves in lost)  # a lost deal went through open stages
    assert any(len(moves) >= 4 for moves in lost)


def test_filter_order_and_select_work_as_in_other_list_methods(server: RunningSimulator) -> None:
    owner = server.portal.records("stagehistory")[-1]["OWNER_ID"]
    body = result(
        server,
        "crm.stagehistory.list",
        entityTypeId=2,
        filter={"OWNER_ID": owner},
        order={"ID": "DESC"},
        select=["ID", "STAGE_ID", "CREATED_TIME"],
    )
    expected = [r for r in server.portal.records("stagehistory") if r["OWNER_ID"] == owner]
    assert [i["ID"] for i in body["items"]] == [r["ID"] for r in reversed(expected)]
    assert set(body["items"][0]) == {"ID", "STAGE_ID", "CREATED_TIME"}
    moscow = _history(server, filter={">=CREATED_TIME": "2025-12-01T00:00:00+03:00", "STAGE_SEMANTIC_ID": "F"})
    utc = _history(server, filter={">=CREATED_TIME": "2025-11-30T21:00:00+00:00", "STAGE_SEMANTIC_ID": "F"})
    assert moscow == utc
    assert moscow
    assert all(i["STAGE_SEMANTIC_ID"] == "F" and i["TYPE_ID"] == 3 for i in moscow)
    fast = call(server, "crm.stagehistory.list", entityTypeId=2, filter={">ID": 10}, order={"ID": "ASC"}, start=-1)
    assert "next" not in fast.json()
    assert [i["ID"] for i in fast.json()["result"]["items"]] == list(range(11, 61))


def test_what_the_method_refuses_is_a_clear_400(server: RunningSimulator) -> None:
    refusals = {
        "ENTITY_TYPE_NOT_SUPPORTED": {"entityTypeId": 7},
        "INVALID_ARG_VALUE": {"entityTypeId": 2, "filter": {"TITLE": "x"}},
    }
    for code, params in refusals.items():
        response = call(server, "crm.stagehistory.list", **params)
        assert (response.status_code, response.json()["error"]) == (400, code)
    bad_time = call(server, "crm.stagehistory.list", entityTypeId=2, filter={">CREATED_TIME": "yesterday"})
    bad_order = call(server, "crm.stagehistory.list", entityTypeId=2, order={"ID": "UP"})
    assert bad_time.json()["error_description"] == "Invalid filter: field 'CREATED_TIME' has invalid value"
    assert "allowed sort directions are ASC, DESC" in bad_order.json()["error_description"]
    missing = call(server, "crm.stagehistory.list")
    assert missing.status_code == 400


def test_adding_moving_and_deleting_a_deal_through_the_api_writes_its_history(fresh: RunningSimulator) -> None:
    deal_id = result(fresh, "crm.deal.add", fields={"TITLE": "Пробная", "CATEGORY_ID": 1})
    result(fresh, "crm.deal.update", id=deal_id, fields={"STAGE_ID": "C1:NEGOTIATION"})
    result(fresh, "crm.deal.update", id=deal_id, fields={"OPPORTUNITY": "10.00"})  # no move: no row
    result(fresh, "crm.deal.update", id=deal_id, fields={"STAGE_ID": "C1:LOSE"})
    result(fresh, "crm.deal.update", id=deal_id, fields={"CATEGORY_ID": 2, "STAGE_ID": "C2:NEW"})

    moves = result(fresh, "crm.stagehistory.list", entityTypeId=2, filter={"OWNER_ID": deal_id})["items"]

    assert [(m["TYPE_ID"], m["STAGE_ID"], m["CATEGORY_ID"]) for m in moves] == [
        (1, "C1:NEW", 1),
        (2, "C1:NEGOTIATION", 1),
        (3, "C1:LOSE", 1),
        (5, "C2:NEW", 2),
    ]
    assert moves[-1]["CREATED_TIME"] == fresh.portal.get("deal", deal_id)["DATE_MODIFY"]  # type: ignore[index]
    result(fresh, "crm.deal.delete", id=deal_id)
    assert result(fresh, "crm.stagehistory.list", entityTypeId=2, filter={"OWNER_ID": deal_id})["items"] == []


def test_live_moves_are_recorded_and_read_by_id_after_the_last_seen(fresh: RunningSimulator) -> None:
    last = fresh.portal.records("stagehistory")[-1]["ID"]
    live = LivePortal(fresh.portal)
    for _ in range(30):
        live.step()
    new = result(fresh, "crm.stagehistory.list", entityTypeId=2, filter={">ID": last}, start=-1)["items"]
    assert {m["TYPE_ID"] for m in new} >= {1, 2}
    for deal in fresh.portal.records("deal"):
        moves = [r for r in fresh.portal.records("stagehistory") if r["OWNER_ID"] == int(deal["ID"])]
        assert moves[-1]["STAGE_ID"] == deal["STAGE_ID"]


def test_a_batch_pages_the_history_with_totals(server: RunningSimulator) -> None:
    cmd = {"a": "crm.stagehistory.list?entityTypeId=2&filter[OWNER_ID]=1", "b": "crm.stagehistory.list?entityTypeId=2"}
    body = httpx.post(f"{server.webhook_url}batch", json={"cmd": cmd}, timeout=10).json()["result"]
    assert body["result"]["a"]["items"][0]["OWNER_ID"] == 1
    assert body["result_total"]["b"] == len(server.portal.records("stagehistory"))
    assert body["result_next"]["b"] == 50

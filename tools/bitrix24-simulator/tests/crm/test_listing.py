"""List methods: pages of 50 with next/total, the fast path, filters, order and select masks."""

from __future__ import annotations

from datetime import datetime

import httpx

from bitrix24_simulator.testing import RunningSimulator

from ..conftest import call


def _page(sim: RunningSimulator, method: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = call(sim, method, **params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_pages_of_50_follow_next_until_total(server: RunningSimulator) -> None:
    ids: list[str] = []
    start: int | None = 0
    pages = 0
    while start is not None:
        body = _page(server, "crm.deal.list", select=["ID"], start=start)
        assert len(body["result"]) <= 50
        assert body["total"] == len(server.portal.records("deal"))
        ids += [d["ID"] for d in body["result"]]
        start = body.get("next")
        pages += 1
    assert ids == [d["ID"] for d in server.portal.records("deal")]
    assert pages == -(-len(ids) // 50)


def test_fast_path_counts_nothing_and_pages_by_id(server: RunningSimulator) -> None:
    ids: list[str] = []
    last = 0
    while True:
        body = _page(server, "crm.deal.list", order={"ID": "ASC"}, filter={">ID": last}, select=["ID"], start=-1)
        assert "next" not in body
        assert body["total"] == 0
        ids += [d["ID"] for d in body["result"]]
        if len(body["result"]) < 50:
            break
        last = int(body["result"][-1]["ID"])
    assert ids == [d["ID"] for d in server.portal.records("deal")]


def test_date_modify_filter_returns_only_later_changes(server: RunningSimulator) -> None:
    since = "2025-12-01T00:00:00+03:00"
    expected = [
        d["ID"]
        for d in server.portal.records("deal")
        if datetime.fromisoformat(d["DATE_MODIFY"]) > datetime.fromisoformat(since)
    ]
    got: list[str] = []
    start: int | None = 0
    while start is not None:
        query = {"filter[>DATE_MODIFY]": since, "order[DATE_MODIFY]": "ASC", "select[]": ["ID", "DATE_MODIFY"]}
        body = httpx.get(f"{server.webhook_url}crm.deal.list", params={**query, "start": start}).json()
        got += [d["ID"] for d in body["result"]]
        start = body.get("next")
    assert expected
    assert sorted(got, key=int) == sorted(expected, key=int)
    assert len(got) < len(server.portal.records("deal"))


def test_order_desc_sorts_by_the_field(server: RunningSimulator) -> None:
    body = _page(server, "crm.deal.list", order={"OPPORTUNITY": "DESC"}, select=["ID", "OPPORTUNITY"])
    amounts = [float(d["OPPORTUNITY"]) for d in body["result"]]
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == max(float(d["OPPORTUNITY"]) for d in server.portal.records("deal"))


def test_star_leaves_out_multiple_and_user_fields_and_naming_them_brings_them(server: RunningSimulator) -> None:
    star = _page(server, "crm.contact.list", select=["*"])["result"][0]
    assert "PHONE" not in star
    assert "EMAIL" not in star
    assert "LAST_NAME" in star
    named = _page(server, "crm.contact.list", select=["ID", "PHONE"])["result"][0]
    assert set(named) == {"ID", "PHONE"}
    deal = _page(server, "crm.deal.list", select=["UF_*"])["result"][0]
    assert set(deal) == {"ID", "UF_CRM_DELIVERY_CITY"}


def test_multiple_field_filter_matches_exact_value(server: RunningSimulator) -> None:
    contact = next(c for c in server.portal.records("contact") if c["PHONE"])
    phone = contact["PHONE"][0]["VALUE"]
    body = _page(server, "crm.contact.list", filter={"PHONE": phone}, select=["ID"])
    assert contact["ID"] in [c["ID"] for c in body["result"]]
    assert _page(server, "crm.contact.list", filter={"PHONE": phone[:-1]}, select=["ID"])["result"] == []


def test_in_and_like_filters(server: RunningSimulator) -> None:
    body = _page(server, "crm.deal.list", filter={"@ID": [3, 5, 7]}, select=["ID"])
    assert [d["ID"] for d in body["result"]] == ["3", "5", "7"]
    won = _page(server, "crm.deal.list", filter={"%STAGE_ID": "WON"}, select=["STAGE_ID"], start=-1)["result"]
    assert won
    assert all("WON" in d["STAGE_ID"] for d in won)


def test_requisites_hold_the_company_inn(server: RunningSimulator) -> None:
    requisite = server.portal.records("requisite")[0]
    body = _page(server, "crm.requisite.list", filter={"RQ_INN": requisite["RQ_INN"]})
    assert [(r["ENTITY_TYPE_ID"], r["ENTITY_ID"]) for r in body["result"]] == [("4", requisite["ENTITY_ID"])]


def test_categories_stages_and_product_rows(server: RunningSimulator) -> None:
    categories = _page(server, "crm.category.list", entityTypeId=2)["result"]["categories"]
    assert [c["id"] for c in categories] == [0, 1, 2]
    stages = _page(server, "crm.status.list", filter={"ENTITY_ID": "DEAL_STAGE_1"})["result"]
    assert [s["STATUS_ID"] for s in stages][-2:] == ["C1:WON", "C1:LOSE"]
    assert _page(server, "crm.dealcategory.stage.list", id=2)["result"][0]["STATUS_ID"] == "C2:NEW"
    rows = _page(server, "crm.deal.productrows.get", id=1)["result"]
    deal = server.portal.get("deal", 1)
    assert deal is not None
    assert rows
    assert sum(r["PRICE"] * r["QUANTITY"] for r in rows) == float(deal["OPPORTUNITY"])


def test_product_catalog_lists_with_prices(server: RunningSimulator) -> None:
    body = _page(server, "crm.product.list", select=["ID", "NAME", "PRICE", "CURRENCY_ID"])
    assert body["total"] == len(server.portal.records("product"))
    assert body["result"][0]["CURRENCY_ID"] == "RUB"


def test_fields_describe_types_and_multiple_fields(server: RunningSimulator) -> None:
    deal = _page(server, "crm.deal.fields")["result"]
    assert deal["ID"]["isReadOnly"] is True
    assert (deal["STAGE_ID"]["type"], deal["STAGE_ID"]["statusType"]) == ("crm_status", "DEAL_STAGE")
    assert deal["UF_CRM_DELIVERY_CITY"]["isDynamic"] is True
    contact = _page(server, "crm.contact.fields")["result"]
    assert (contact["PHONE"]["type"], contact["PHONE"]["isMultiple"]) == ("crm_multifield", True)

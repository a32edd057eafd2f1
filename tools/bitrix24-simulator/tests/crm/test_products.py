"""The product catalog over HTTP: products, sections and VAT rates as documented, paging, TIMESTAMP_X increments,
writes with their checks and events, deal rows that point at catalog products, and live-mode changes."""

from __future__ import annotations

from decimal import Decimal

from bitrix24_simulator import generate
from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.store import Binding, Portal
from bitrix24_simulator.testing import RunningSimulator

from ..conftest import FakeClock, Receiver, call, make_settings, result
from ..test_events import _bind, _wait_for

PRODUCT_FIELDS = {
    "ID",
    "CATALOG_ID",
    "NAME",
    "ACTIVE",
    "PRICE",
    "CURRENCY_ID",
    "SECTION_ID",
    "SORT",
    "XML_ID",
    "DESCRIPTION",
    "MEASURE",
    "VAT_ID",
    "VAT_INCLUDED",
    "DATE_CREATE",
    "TIMESTAMP_X",
    "CREATED_BY",
    "MODIFIED_BY",
}


def test_product_list_pages_by_50_and_by_the_fast_path(server: RunningSimulator) -> None:
    expected = [p["ID"] for p in server.portal.records("product")]
    paged: list[str] = []
    start: int | None = 0
    while start is not None:
        body = call(server, "crm.product.list", select=["ID"], start=start).json()
        assert body["total"] == len(expected) == 200
        paged += [p["ID"] for p in body["result"]]
        start = body.get("next")
    fast: list[str] = []
    while True:
        body = call(
            server, "crm.product.list", order={"ID": "ASC"}, filter={">ID": fast[-1] if fast else 0}, start=-1
        ).json()
        assert "next" not in body
        fast += [p["ID"] for p in body["result"]]
        if len(body["result"]) < 50:
            break
    assert paged == fast == expected


def test_a_product_has_the_documented_fields_and_money_as_a_string(server: RunningSimulator) -> None:
    product = result(server, "crm.product.get", id=1)
    assert set(product) == PRODUCT_FIELDS
    assert Decimal(product["PRICE"]) > 0
    assert product["PRICE"].count(".") == 1
    assert (product["CURRENCY_ID"], product["VAT_INCLUDED"], product["ACTIVE"]) == ("RUB", "Y", "Y")
    described = result(server, "crm.product.fields")
    assert described["TIMESTAMP_X"]["type"] == "datetime"
    assert described["PRICE"]["type"] == "double"
    assert call(server, "crm.product.get", id=99_999).json()["error_description"] == "Not found"


def test_every_product_sits_in_a_listed_section_with_a_listed_vat_rate(server: RunningSimulator) -> None:
    sections = {s["ID"]: s for s in result(server, "crm.productsection.list", start=-1)}
    assert len(sections) == len(server.portal.records("productsection")) < 50
    rates = {r["ID"]: r["RATE"] for r in result(server, "crm.vat.list")}
    assert rates == {"1": None, "2": "0.00", "3": "10.00", "4": "20.00"}
    for product in server.portal.records("product"):
        assert product["SECTION_ID"] in sections
        assert product["VAT_ID"] in rates
    roots = [s for s in sections.values() if s["SECTION_ID"] is None]
    assert roots
    assert all(s["SECTION_ID"] is None or s["SECTION_ID"] in sections for s in sections.values())
    assert result(server, "crm.productsection.get", id=roots[0]["ID"])["NAME"] == roots[0]["NAME"]


def test_deal_rows_name_catalog_products_some_at_an_older_price(server: RunningSimulator) -> None:
    portal: Portal = server.portal
    rows = result(server, "crm.deal.productrows.get", id=1)
    assert rows
    assert all(portal.get("product", r["PRODUCT_ID"]) is not None for r in rows)
    differing = [
        r
        for r in portal.records("productrow")
        if Decimal(str(r["PRICE"])) != Decimal(portal.get("product", r["PRODUCT_ID"])["PRICE"])  # type: ignore[index]
    ]
    assert 0 < len(differing) < len(portal.records("productrow"))


def test_product_lifecycle_moves_timestamp_x_and_sends_add_update_update_delete(receiver: Receiver) -> None:
    from bitrix24_simulator.testing import serve_in_thread

    settings = make_settings(scale="tiny")
    portal = generate(settings)
    clock = FakeClock()
    portal.clock = clock
    with serve_in_thread(settings, portal) as sim:
        _bind(sim, receiver, "ONCRMPRODUCTADD", "ONCRMPRODUCTUPDATE", "ONCRMPRODUCTDELETE")
        new_id = result(sim, "crm.product.add", fields={"NAME": "Чай", "PRICE": 120, "SECTION_ID": 1, "VAT_ID": 3})
        created = result(sim, "crm.product.get", id=new_id)
        clock.advance(5)
        since = sim.portal.now_iso()
        result(sim, "crm.product.update", id=new_id, fields={"PRICE": "135.5"})
        result(sim, "crm.product.update", id=new_id, fields={"ACTIVE": "N"})
        changed = result(sim, "crm.product.list", filter={">=TIMESTAMP_X": since}, select=["ID", "PRICE", "ACTIVE"])
        result(sim, "crm.product.delete", id=new_id)
        posts = _wait_for(receiver, 4)
        gone = call(sim, "crm.product.get", id=new_id).json()
    assert (created["PRICE"], created["CATALOG_ID"], created["VAT_ID"]) == ("120.00", "25", "3")
    assert changed == [{"ID": str(new_id), "PRICE": "135.50", "ACTIVE": "N"}]
    assert [p["event"] for p in posts] == [
        "ONCRMPRODUCTADD",
        "ONCRMPRODUCTUPDATE",
        "ONCRMPRODUCTUPDATE",
        "ONCRMPRODUCTDELETE",
    ]
    assert {p["data[FIELDS][ID]"] for p in posts} == {str(new_id)}
    assert gone["error_description"] == "Not found"


def test_bad_catalog_writes_are_refused_with_a_reason(fresh: RunningSimulator) -> None:
    refusals = [
        ("crm.product.add", {"fields": {"PRICE": 10}}, "NAME"),
        ("crm.product.add", {"fields": {"NAME": "x", "SECTION_ID": 9999}}, "Section with ID 9999"),
        ("crm.product.update", {"id": 1, "fields": {"VAT_ID": 77}}, "VAT rate with ID 77"),
        ("crm.product.update", {"id": 1, "fields": {"PRICE": "дорого"}}, "Amount"),
        ("crm.productsection.delete", {"id": 1}, "not empty"),
        ("crm.productsection.update", {"id": 1, "fields": {"SECTION_ID": 1}}, "inside itself"),
    ]
    for method, params, reason in refusals:
        response = call(fresh, method, **params)
        assert response.status_code == 400, (method, response.text)
        assert reason in response.json()["error_description"], (method, response.text)
    assert result(fresh, "crm.product.get", id=1)["VAT_ID"] != "77"


def test_a_section_is_added_renamed_and_deleted_with_events(fresh: RunningSimulator, receiver: Receiver) -> None:
    _bind(fresh, receiver, "ONCRMPRODUCTSECTIONADD", "ONCRMPRODUCTSECTIONUPDATE", "ONCRMPRODUCTSECTIONDELETE")
    new_id = result(fresh, "crm.productsection.add", fields={"NAME": "Чай", "SECTION_ID": 1})
    result(fresh, "crm.productsection.update", id=new_id, fields={"NAME": "Чай и кофе"})
    listed = result(fresh, "crm.productsection.list", filter={"ID": new_id})
    result(fresh, "crm.productsection.delete", id=new_id)
    posts = _wait_for(receiver, 3)
    assert [(s["NAME"], s["SECTION_ID"], s["CATALOG_ID"]) for s in listed] == [("Чай и кофе", "1", "25")]
    assert [p["event"] for p in posts] == [
        "ONCRMPRODUCTSECTIONADD",
        "ONCRMPRODUCTSECTIONUPDATE",
        "ONCRMPRODUCTSECTIONDELETE",
    ]


def test_live_mode_reprices_adds_and_deletes_its_own_products() -> None:
    portal = generate(make_settings(scale="tiny"))
    generated = {p["ID"]: dict(p) for p in portal.records("product")}
    for event in ("ONCRMPRODUCTADD", "ONCRMPRODUCTUPDATE", "ONCRMPRODUCTDELETE"):
        portal.bindings.append(Binding(len(portal.bindings) + 1, event, "http://127.0.0.1:9/"))
    live = LivePortal(portal)
    for _ in range(400):
        live.step()
    now = {p["ID"]: p for p in portal.records("product")}
    assert set(generated) <= set(now)  # generated products are in deal rows: never deleted
    assert any(now[i]["PRICE"] != p["PRICE"] or now[i]["ACTIVE"] != p["ACTIVE"] for i, p in generated.items())
    assert {item["event"] for item in portal.outbox} == {"ONCRMPRODUCTADD", "ONCRMPRODUCTUPDATE", "ONCRMPRODUCTDELETE"}

"""Deterministic demo data, deal history, and the customers shared with the MoySklad simulator's shop."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import httpx

from bitrix24_simulator import Portal, generate
from bitrix24_simulator.data.formats import digits
from bitrix24_simulator.testing import RunningSimulator
from moysklad_simulator import Settings as MoySkladSettings
from moysklad_simulator import generate as generate_shop

from ..conftest import ANCHOR, make_settings


def test_same_seed_same_portal() -> None:
    one, two = generate(make_settings(scale="tiny")), generate(make_settings(scale="tiny"))
    assert one.tables == two.tables
    assert one.matches == two.matches


def test_other_seed_other_portal() -> None:
    assert generate(make_settings(scale="tiny")).tables != generate(make_settings(scale="tiny", seed=7)).tables


def test_the_portals_own_customers_follow_the_seed_too() -> None:
    def own_people(portal: Portal) -> set[tuple[str, ...]]:
        shared = {m.entity_id for m in portal.matches if m.entity_type == "contact"}
        contacts = [c for c in portal.records("contact") if c["ID"] not in shared]
        return {(c["LAST_NAME"], c["NAME"], *(p["VALUE"] for p in c["PHONE"])) for c in contacts}

    assert own_people(generate(make_settings(scale="tiny"))) != own_people(
        generate(make_settings(scale="tiny", seed=7))
    )


def test_scales_grow(portal: Portal) -> None:
    tiny = generate(make_settings(scale="tiny"))
    assert len(tiny.records("deal")) < len(portal.records("deal"))
    assert len(portal.records("deal")) == 600


def test_deals_span_categories_and_outcomes(portal: Portal) -> None:
    by_category = Counter((d["CATEGORY_ID"], d["STAGE_SEMANTIC_ID"]) for d in portal.records("deal"))
    for category in ("0", "1", "2"):
        assert all(by_category[(category, semantic)] > 0 for semantic in ("P", "S", "F"))
    months = {d["DATE_CREATE"][:7] for d in portal.records("deal")}
    assert len(months) >= 6


def test_dates_carry_the_offset_and_stop_at_the_anchor(portal: Portal) -> None:
    anchor = datetime.fromisoformat(ANCHOR.replace(" ", "T") + "+03:00")
    for deal in portal.records("deal"):
        assert deal["DATE_MODIFY"].endswith("+03:00")
        assert datetime.fromisoformat(deal["DATE_CREATE"]) <= datetime.fromisoformat(deal["DATE_MODIFY"]) <= anchor


def test_closed_deals_are_won_or_lost(portal: Portal) -> None:
    for deal in portal.records("deal"):
        assert (deal["CLOSED"] == "Y") == (deal["STAGE_SEMANTIC_ID"] in ("S", "F"))


def test_shared_customers_are_the_moysklad_shops_counterparties_written_differently(portal: Portal) -> None:
    shop = generate_shop(MoySkladSettings(scale="demo", seed=42, anchor=ANCHOR))
    parties = {p["id"]: p for p in shop.records("counterparty")}
    assert len(portal.matches) >= 5
    assert {m.entity_type for m in portal.matches} == {"contact", "company"}
    for match in portal.matches:
        party = parties[match.counterparty_id]
        record = portal.get(match.entity_type, match.entity_id)
        assert record is not None
        if "inn" in match.keys:
            inns = [r["RQ_INN"] for r in portal.records("requisite") if r["ENTITY_ID"] == match.entity_id]
            assert inns == [party["inn"]]
        if "phone" in match.keys:
            phone = record["PHONE"][0]["VALUE"]
            assert digits(phone) == digits(party["phone"])
            assert phone != party["phone"]
        if "email" in match.keys:
            email = record["EMAIL"][0]["VALUE"]
            assert email.lower() == party["email"].lower()
            assert email != party["email"]


def test_own_customers_share_no_key_with_the_shop(portal: Portal) -> None:
    shop = generate_shop(MoySkladSettings(scale="demo", seed=42, anchor=ANCHOR))
    phones = {digits(p["phone"]) for p in shop.records("counterparty") if p.get("phone")}
    inns = {p["inn"] for p in shop.records("counterparty") if p.get("inn")}
    matched = {(m.entity_type, m.entity_id) for m in portal.matches}
    for kind in ("contact", "company"):
        for record in portal.records(kind):
            if (kind, record["ID"]) not in matched:
                assert not {digits(p["VALUE"]) for p in record["PHONE"]} & phones
    own_inns = {r["RQ_INN"] for r in portal.records("requisite") if ("company", r["ENTITY_ID"]) not in matched}
    assert not own_inns & inns


def test_opportunity_is_the_sum_of_the_rows(portal: Portal) -> None:
    for deal in portal.records("deal")[:50]:
        rows = portal.rows_of("D", int(deal["ID"]))
        assert round(sum(r["PRICE"] * r["QUANTITY"] for r in rows), 2) == float(deal["OPPORTUNITY"])


def test_overlap_endpoint_lists_the_ground_truth(server: RunningSimulator) -> None:
    body = httpx.get(f"{server.base_url}/__sim/overlap").json()
    assert body["moysklad"] == {"scale": "demo", "seed": 42, "anchor": ANCHOR}
    assert len(body["matches"]) == len(server.portal.matches)
    first = body["matches"][0]
    assert set(first) == {"bitrix24", "moysklad", "keys"}
    assert first["bitrix24"]["entityType"] in ("contact", "company")

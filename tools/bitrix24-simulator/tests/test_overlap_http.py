"""The ground truth holds across both simulators' HTTP APIs: each match reads back the same INN, phone, e-mail."""

from __future__ import annotations

import re
from typing import Any

import httpx

from bitrix24_simulator.testing import RunningSimulator
from moysklad_simulator import Settings as MoySkladSettings
from moysklad_simulator.testing import serve_in_thread as serve_moysklad

from .conftest import ANCHOR, call


def _phone_key(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-10:]


def _bitrix_keys(sim: RunningSimulator, entity_type: str, entity_id: str) -> dict[str, Any]:
    record = call(sim, f"crm.{entity_type}.get", id=entity_id).json()["result"]
    requisites = call(sim, "crm.requisite.list", filter={"ENTITY_TYPE_ID": 4, "ENTITY_ID": entity_id}).json()
    return {
        "inn": {r["RQ_INN"] for r in requisites["result"]} if entity_type == "company" else set(),
        "phone": {_phone_key(p["VALUE"]) for p in record.get("PHONE", [])},
        "email": {e["VALUE"].lower() for e in record.get("EMAIL", [])},
    }


def test_every_match_shares_its_keys_with_the_moysklad_counterparty(server: RunningSimulator) -> None:
    overlap = httpx.get(f"{server.base_url}/__sim/overlap").json()
    source = overlap["moysklad"]
    # One request per counterparty: more than MoySklad's window admits (4 units each), and limits are not the point.
    settings = MoySkladSettings(
        scale=source["scale"], seed=source["seed"], anchor=source["anchor"], rate_limits_enabled=False
    )
    assert source["anchor"] == ANCHOR
    with serve_moysklad(settings) as shop:
        client = httpx.Client(base_url=shop.api_url, auth=shop.basic_auth, headers={"Accept-Encoding": "gzip"})
        for match in overlap["matches"]:
            party = client.get(f"/entity/counterparty/{match['moysklad']['counterpartyId']}").json()
            assert party["name"] == match["moysklad"]["name"]
            mine = _bitrix_keys(server, match["bitrix24"]["entityType"], match["bitrix24"]["id"])
            theirs = {
                "inn": party.get("inn"),
                "phone": _phone_key(party.get("phone", "")),
                "email": party.get("email", "").lower(),
            }
            for key in match["keys"]:
                assert theirs[key] in mine[key], (match, key)

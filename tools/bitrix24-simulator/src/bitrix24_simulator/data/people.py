"""Contacts, companies and company requisites, a share of them the MoySklad shop's counterparties.

A shared customer is written the way a second system would hold it: phone in another format, e-mail in another case,
the INN the same (in a requisite: Bitrix24 keeps a company's INN in ``crm.requisite`` as ``RQ_INN``, not on the
company, https://apidocs.bitrix24.com/api-reference/crm/requisites/universal/crm-requisite-list.html). Each shared
customer is recorded in ``Portal.matches`` with the keys it can be matched by.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bitrix24_simulator.crm.entities import TYPE_IDS, multi_value
from bitrix24_simulator.data.formats import digits, email_variant, phone_variant, random_phone
from bitrix24_simulator.store import Match, Portal
from bitrix24_simulator.timefmt import iso
from moysklad_simulator.data import names
from moysklad_simulator.store import SimulatorState

USERS = ("1", "3", "5", "7", "9")  # ASSIGNED_BY_ID of the portal's sales staff
# Requisite presets: 1 = organisation, 2 = sole proprietor (the portal's default presets)
PRESET_ORGANISATION, PRESET_PROPRIETOR = "1", "2"


def generate_people(portal: Portal, shop: SimulatorState, extra_contacts: int, extra_companies: int) -> None:
    rng = portal.rng
    taken_phones = {digits(p["phone"]) for p in shop.records("counterparty") if p.get("phone")}
    taken_emails = {p["email"].lower() for p in shop.records("counterparty") if p.get("email")}
    taken_inns = {p["inn"] for p in shop.records("counterparty") if p.get("inn")}
    cards: list[dict[str, Any]] = []
    for party in shop.records("counterparty"):
        if party["id"] == shop.retail_customer_id or rng.random() >= portal.settings.overlap_share:
            continue
        cards.append(_shared_card(portal, party))
    for index in range(extra_contacts):
        cards.append(_own_contact(portal, index, taken_phones, taken_emails))
    for index in range(extra_companies):
        cards.append(_own_company(portal, index, taken_phones, taken_inns))
    for card in sorted(cards, key=lambda c: c["created"]):
        _store(portal, card)
    _attach_contacts_to_companies(portal)


def _moment(portal: Portal, max_days: int) -> datetime:
    return portal.anchor - timedelta(seconds=portal.rng.uniform(86_400 * 30, 86_400 * max_days))


def _shared_card(portal: Portal, party: dict[str, Any]) -> dict[str, Any]:
    rng = portal.rng
    phone = party.get("phone")
    email = party.get("email")
    keep_phone = bool(phone) and rng.random() < 0.8
    keep_email = bool(email) and (rng.random() < 0.7 or not keep_phone)
    card: dict[str, Any] = {
        "created": _moment(portal, 700),
        "phones": [phone_variant(rng, phone)] if keep_phone and phone else [],
        "emails": [email_variant(rng, email)] if keep_email and email else [],
        "party": party,
    }
    keys = (["inn"] if party.get("inn") else []) + (["phone"] if card["phones"] else [])
    keys += ["email"] if card["emails"] else []
    card["keys"] = tuple(keys)
    if party["companyType"] == "individual":
        last, first, middle = [*party["name"].split(), "", "", ""][:3]
        card.update(kind="contact", fields={"LAST_NAME": last, "NAME": first, "SECOND_NAME": middle})
    else:
        card.update(kind="company", fields={"TITLE": _title_variant(rng, party["name"])}, requisite=party)
    return card


def _title_variant(rng: Any, name: str) -> str:
    if name.startswith('ООО "') and name.endswith('"'):
        core = name[5:-1]
        return rng.choice((name, core, f"{core}, ООО", f"ООО {core}"))
    return name


def _own_contact(portal: Portal, index: int, phones: set[str], emails: set[str]) -> dict[str, Any]:
    rng = portal.rng
    female = rng.random() < 0.5
    last = rng.choice(names.LAST_NAMES) + ("а" if female else "")
    first = rng.choice(names.FIRST_NAMES_F if female else names.FIRST_NAMES_M)
    middle = rng.choice(names.PATRONYMICS_F if female else names.PATRONYMICS_M)
    email = f"client{index:05d}@mail.example.net"
    return {
        "kind": "contact",
        "created": _moment(portal, 700),
        "fields": {"LAST_NAME": last, "NAME": first, "SECOND_NAME": middle},
        "phones": [phone_variant(rng, _fresh_phone(portal, phones))] if rng.random() < 0.9 else [],
        "emails": [email] if email.lower() not in emails and rng.random() < 0.6 else [],
    }


def _own_company(portal: Portal, index: int, phones: set[str], inns: set[str]) -> dict[str, Any]:
    rng = portal.rng
    word = rng.choice(names.COMPANY_WORDS) + rng.choice(names.COMPANY_SUFFIXES)
    inn = _fresh_inn(portal, inns)
    return {
        "kind": "company",
        "created": _moment(portal, 700),
        "fields": {"TITLE": f'ООО "{word}" ({rng.choice(names.CITIES)})'},
        "phones": [_fresh_phone(portal, phones)],
        "emails": [f"office{index:05d}@corp.example.net"],
        "requisite": {"name": f'ООО "{word}"', "inn": inn, "kpp": f"{rng.randrange(1000, 9999)}01001"},
    }


def _fresh_phone(portal: Portal, taken: set[str]) -> str:
    while True:
        phone = random_phone(portal.rng)
        if digits(phone) not in taken:
            taken.add(digits(phone))
            return phone


def _fresh_inn(portal: Portal, taken: set[str]) -> str:
    while True:
        inn = "".join(str(portal.rng.randrange(10)) for _ in range(10))
        if inn[0] != "0" and inn not in taken:
            taken.add(inn)
            return inn


def _store(portal: Portal, card: dict[str, Any]) -> None:
    kind = card["kind"]
    record_id = portal.next_id(kind)
    stamp = iso(card["created"])
    modified = iso(min(card["created"] + timedelta(days=portal.rng.uniform(0, 200)), portal.anchor))
    record: dict[str, Any] = {
        "ID": str(record_id),
        **card["fields"],
        **({"TYPE_ID": "CLIENT", "COMPANY_ID": None} if kind == "contact" else {"COMPANY_TYPE": "CUSTOMER"}),
        "SOURCE_ID": portal.rng.choice(("WEB", "CALL", "EMAIL", "STORE")),
        "ASSIGNED_BY_ID": portal.rng.choice(USERS),
        "CREATED_BY_ID": "1",
        "MODIFY_BY_ID": "1",
        "DATE_CREATE": stamp,
        "DATE_MODIFY": modified,
        "OPENED": "Y",
        "HAS_PHONE": "Y" if card["phones"] else "N",
        "HAS_EMAIL": "Y" if card["emails"] else "N",
        "PHONE": [multi_value(portal, "PHONE", p, "WORK") for p in card["phones"]],
        "EMAIL": [multi_value(portal, "EMAIL", e, "WORK") for e in card["emails"]],
    }
    portal.add(kind, record)
    if "requisite" in card:
        _requisite(portal, record_id, card["requisite"], stamp)
    party = card.get("party")
    if party is not None:
        portal.matches.append(Match(kind, str(record_id), party["id"], party["name"], card["keys"]))


def _requisite(portal: Portal, company_id: int, source: dict[str, Any], stamp: str) -> None:
    proprietor = len(source["inn"]) == 12
    requisite_id = portal.next_id("requisite")
    portal.add(
        "requisite",
        {
            "ID": str(requisite_id),
            "ENTITY_TYPE_ID": TYPE_IDS["company"],
            "ENTITY_ID": str(company_id),
            "PRESET_ID": PRESET_PROPRIETOR if proprietor else PRESET_ORGANISATION,
            "NAME": "ИП" if proprietor else "Организация",
            "ACTIVE": "Y",
            "SORT": "500",
            "RQ_COMPANY_NAME": source["name"],
            "RQ_INN": source["inn"],
            "RQ_KPP": None if proprietor else source.get("kpp"),
            "DATE_CREATE": stamp,
            "DATE_MODIFY": stamp,
            "CREATED_BY_ID": "1",
            "MODIFY_BY_ID": "1",
        },
    )


def _attach_contacts_to_companies(portal: Portal) -> None:
    """A fifth of the contacts work at one of the companies."""
    companies = [c["ID"] for c in portal.records("company")]
    for contact in portal.records("contact"):
        if companies and portal.rng.random() < 0.2:
            contact["COMPANY_ID"] = portal.rng.choice(companies)

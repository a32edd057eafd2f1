"""Contacts and companies as canonical counterparties (``crm.counterparties.v1``).

Contacts are people (``contact-<ID>``, kind individual), companies legal entities (``company-<ID>``, kind legal)
whose INN lives in their requisite (``crm.requisite.list``, ``ENTITY_TYPE_ID=4``, docs/bitrix24.md, "CRM entities").
``PHONE``/``EMAIL`` are lists of ``{ID, VALUE_TYPE, VALUE, TYPE_ID}``; Bitrix24 has no "primary" flag, so the first
value in the record's order is the primary one.
"""

from __future__ import annotations

from typing import Any

from bitrix24_connector.mapping.common import Unmappable, envelope, optional_time, parse_time, require, version
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Counterparty, CounterpartyKind


def multi_values(record: dict[str, Any], field: str) -> list[str]:
    """Every non-empty value of a multiple field, in the record's order, each once."""
    values: list[str] = []
    items = record.get(field) or []
    if not isinstance(items, list):
        raise Unmappable(f"{field} is not a list")
    for item in items:
        value = str(item.get("VALUE") or "").strip() if isinstance(item, dict) else ""
        if value and value not in values:
            values.append(value)
    return values


def person_name(record: dict[str, Any]) -> str:
    """``LAST_NAME NAME SECOND_NAME``, the Russian order; whichever parts exist."""
    parts = [str(record.get(f) or "").strip() for f in ("LAST_NAME", "NAME", "SECOND_NAME")]
    name = " ".join(part for part in parts if part)
    if not name:
        raise Unmappable("the contact has no name")
    return name


def _counterparty(
    entity_id: str, name: str, kind: CounterpartyKind, record: dict[str, Any], inn: str | None
) -> Counterparty:
    phones, emails = multi_values(record, "PHONE"), multi_values(record, "EMAIL")
    return Counterparty(
        id=entity_id,
        name=name,
        kind=kind,
        inn=inn,
        phone=phones[0] if phones else None,
        email=emails[0] if emails else None,
        phones=phones,
        emails=emails,
        created_at=optional_time(record.get("DATE_CREATE"), "DATE_CREATE"),
        updated_at=parse_time(record.get("DATE_MODIFY"), "DATE_MODIFY"),
    )


def map_contact(record: dict[str, Any], portal: str) -> EventEnvelope:
    entity_id = f"contact-{require(record, 'ID')}"
    party = _counterparty(entity_id, person_name(record), CounterpartyKind.INDIVIDUAL, record, None)
    return envelope(
        "counterparty.upserted", portal, entity_id, version(party.updated_at, record), party, party.updated_at
    )


def company_inn(requisites: list[dict[str, Any]]) -> str | None:
    """The INN of a company's first active requisite that has one (requisites in id order)."""
    for requisite in requisites:
        inn = str(requisite.get("RQ_INN") or "").strip()
        if inn and requisite.get("ACTIVE", "Y") != "N":
            return inn
    return None


def map_company(record: dict[str, Any], portal: str, requisites: list[dict[str, Any]]) -> EventEnvelope:
    entity_id = f"company-{require(record, 'ID')}"
    name = str(record.get("TITLE") or "").strip()
    if not name:
        raise Unmappable("the company has no TITLE")
    party = _counterparty(entity_id, name, CounterpartyKind.LEGAL, record, company_inn(requisites))
    # A requisite edit does not touch the company's DATE_MODIFY: the newer of the two stamps versions the pair.
    stamps = [party.updated_at, *(parse_time(r.get("DATE_MODIFY"), "requisite DATE_MODIFY") for r in requisites)]
    modified = max(stamps)
    return envelope("counterparty.upserted", portal, entity_id, version(modified, record, requisites), party, modified)

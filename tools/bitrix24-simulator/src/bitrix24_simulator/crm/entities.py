"""``crm.contact.*``, ``crm.company.*``, ``crm.deal.*``, ``crm.requisite.*``: get, list, add, update, delete.

Field names, ``Y``/``N`` flags, string ids and money follow the ``crm.*.get`` examples
(https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html,
https://apidocs.bitrix24.com/api-reference/crm/contacts/crm-contact-get.html). Multiple fields (``PHONE``,
``EMAIL``) are ``[{ID, VALUE_TYPE, VALUE, TYPE_ID}]``; in an update an item without ``ID`` is added, one with ``ID``
and a ``VALUE`` replaces it, one with ``ID`` and ``DELETE=Y`` (or an empty ``VALUE``) removes it
(https://apidocs.bitrix24.com/api-reference/crm/contacts/crm-contact-update.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bitrix24_simulator import events
from bitrix24_simulator.crm import stagehistory
from bitrix24_simulator.crm.listing import MULTI_FIELDS, Page, list_records, project
from bitrix24_simulator.data.funnel import semantic_of, stages_of
from bitrix24_simulator.errors import B24Error, bad_id, method_error, must_be_array, not_found
from bitrix24_simulator.params import as_list
from bitrix24_simulator.store import Portal


@dataclass(frozen=True)
class Entity:
    table: str
    event_prefix: str | None  # ONCRMDEAL, …; None when the entity sends no events
    read_only: tuple[str, ...] = ("ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID")


ENTITIES = {
    "contact": Entity("contact", "ONCRMCONTACT"),
    "company": Entity("company", "ONCRMCOMPANY"),
    "deal": Entity("deal", "ONCRMDEAL"),
    "requisite": Entity("requisite", None),
    # Writes, their checks and events of the catalog: crm/products.py.
    "product": Entity("product", "ONCRMPRODUCT", ("ID", "DATE_CREATE", "TIMESTAMP_X", "CATALOG_ID")),
    "productsection": Entity("productsection", "ONCRMPRODUCTSECTION", ("ID", "CATALOG_ID")),
}


def record_id(params: dict[str, Any]) -> int:
    raw = params.get("id", params.get("ID"))
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise bad_id() from None
    if value <= 0:
        raise bad_id()
    return value


def fields_param(params: dict[str, Any]) -> dict[str, Any]:
    fields = params.get("fields", params.get("FIELDS"))
    if not isinstance(fields, dict):
        raise must_be_array("fields")
    return {str(k).upper(): v for k, v in fields.items()}


def get(portal: Portal, entity: Entity, params: dict[str, Any]) -> dict[str, Any]:
    record = portal.get(entity.table, record_id(params))
    if record is None:
        raise not_found()
    # get returns every field including the multiple ones
    return project(record, ["*", "UF_*", *MULTI_FIELDS])


def list_(portal: Portal, entity: Entity, params: dict[str, Any]) -> Page:
    return list_records(portal.records(entity.table), params)


def add(portal: Portal, entity: Entity, params: dict[str, Any]) -> int:
    fields = fields_param(params)
    new_id = portal.next_id(entity.table)
    now = portal.now_iso()
    user = str(portal.settings.webhook_user_id)
    record: dict[str, Any] = {"ID": str(new_id), **defaults(portal, entity, now, user)}
    apply_fields(portal, entity, record, fields)
    portal.add(entity.table, record)
    if entity.table == "deal":
        stagehistory.on_deal_change(portal, None, record)
    if entity.event_prefix:
        events.notify(portal, f"{entity.event_prefix}ADD", new_id)
    return new_id


def update(portal: Portal, entity: Entity, params: dict[str, Any]) -> bool:
    target = record_id(params)
    fields = fields_param(params)
    record = portal.get(entity.table, target)
    if record is None:
        raise not_found()
    changed = dict(record)  # a refused update (a stage outside the funnel, bad money) leaves the record as it was
    apply_fields(portal, entity, changed, fields)
    before = dict(record)
    record.update(changed)
    touch(portal, record)
    if entity.table == "deal":
        stagehistory.on_deal_change(portal, before, record)
    if entity.event_prefix:
        events.notify(portal, f"{entity.event_prefix}UPDATE", target)
    return True


def delete(portal: Portal, entity: Entity, params: dict[str, Any]) -> bool:
    target = record_id(params)
    if portal.remove(entity.table, target) is None:
        raise not_found()
    if entity.table == "deal":
        for row in portal.rows_of("D", target):
            portal.remove("productrow", int(row["ID"]))
        stagehistory.forget(portal, target)
    if entity.table in ("contact", "company"):
        for requisite in portal.records("requisite"):
            if requisite["ENTITY_TYPE_ID"] == TYPE_IDS[entity.table] and requisite["ENTITY_ID"] == str(target):
                portal.remove("requisite", int(requisite["ID"]))
    if entity.event_prefix:
        events.notify(portal, f"{entity.event_prefix}DELETE", target)
    return True


# The CRM catalog's information block: every product and section says it belongs to it (crm/products.py).
CATALOG_ID = "25"
TYPE_IDS = {"contact": "3", "company": "4", "deal": "2"}  # CRM entity type ids


def touch(portal: Portal, record: dict[str, Any]) -> None:
    if "DATE_MODIFY" in record:
        record["DATE_MODIFY"] = portal.now_iso()
        record["MODIFY_BY_ID"] = str(portal.settings.webhook_user_id)
    elif "TIMESTAMP_X" in record:
        record["TIMESTAMP_X"] = portal.now_iso()


def defaults(portal: Portal, entity: Entity, now: str, user: str) -> dict[str, Any]:
    stamps = {"DATE_CREATE": now, "DATE_MODIFY": now, "CREATED_BY_ID": user, "MODIFY_BY_ID": user}
    if entity.table == "deal":
        return {
            "TITLE": "",
            "CATEGORY_ID": "0",
            "STAGE_ID": "NEW",
            "STAGE_SEMANTIC_ID": "P",
            "OPPORTUNITY": "0.00",
            "CURRENCY_ID": "RUB",
            "IS_MANUAL_OPPORTUNITY": "N",
            "ASSIGNED_BY_ID": user,
            "CONTACT_ID": None,
            "COMPANY_ID": None,
            "BEGINDATE": now,
            "CLOSEDATE": None,
            "CLOSED": "N",
            "OPENED": "Y",
            **stamps,
        }
    if entity.table in ("contact", "company"):
        return {"ASSIGNED_BY_ID": user, "OPENED": "Y", "HAS_PHONE": "N", "HAS_EMAIL": "N", **stamps}
    if entity.table == "product":
        return {
            "CATALOG_ID": CATALOG_ID,
            "ACTIVE": "Y",
            "PRICE": "0.00",
            "CURRENCY_ID": "RUB",
            "SECTION_ID": None,
            "SORT": "500",
            "XML_ID": None,
            "DESCRIPTION": None,
            "MEASURE": None,
            "VAT_ID": None,
            "VAT_INCLUDED": "Y",
            "DATE_CREATE": now,
            "TIMESTAMP_X": now,
            "CREATED_BY": user,
            "MODIFIED_BY": user,
        }
    if entity.table == "productsection":
        return {"CATALOG_ID": CATALOG_ID, "SECTION_ID": None, "XML_ID": None}
    return {"ACTIVE": "Y", "SORT": "500", **stamps}


def apply_fields(portal: Portal, entity: Entity, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name in entity.read_only:
            continue
        if name in MULTI_FIELDS:
            record[name] = merge_multi(portal, record.get(name) or [], value, name)
            continue
        if name == "OPPORTUNITY" or (entity.table == "product" and name == "PRICE"):
            record[name] = money(value)
            continue
        record[name] = None if value == "" else (str(value) if isinstance(value, (int, float)) else value)
    if entity.table in ("contact", "company"):
        record["HAS_PHONE"] = "Y" if record.get("PHONE") else "N"
        record["HAS_EMAIL"] = "Y" if record.get("EMAIL") else "N"
    if entity.table == "deal":
        _deal_stage(portal, record, fields)


def money(value: Any) -> str:
    """Money as the API returns ``OPPORTUNITY``: a string with two decimals."""
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        raise method_error('Invalid value for the "Amount" field') from None


def _deal_stage(portal: Portal, deal: dict[str, Any], fields: dict[str, Any]) -> None:
    category = int(deal.get("CATEGORY_ID") or 0)
    if not stages_of(portal, category):
        raise method_error(f"Category with ID {category} is not found")
    if "CATEGORY_ID" in fields and "STAGE_ID" not in fields:
        deal["STAGE_ID"] = stages_of(portal, category)[0]["STATUS_ID"]
    semantic = semantic_of(portal, category, str(deal["STAGE_ID"]))
    if semantic is None:
        raise method_error(f"Stage {deal['STAGE_ID']} is not in category {category}")
    was_closed = deal.get("CLOSED") == "Y"
    deal["STAGE_SEMANTIC_ID"] = semantic
    deal["CLOSED"] = "N" if semantic == "P" else "Y"
    if deal["CLOSED"] == "Y" and not was_closed and "CLOSEDATE" not in fields:
        deal["CLOSEDATE"] = portal.now_iso()


def multi_value(portal: Portal, kind: str, value: str, value_type: str) -> dict[str, Any]:
    return {"ID": str(portal.next_id("multifield")), "VALUE_TYPE": value_type, "VALUE": value, "TYPE_ID": kind}


def merge_multi(portal: Portal, current: list[dict[str, Any]], given: Any, kind: str) -> list[dict[str, Any]]:
    items = [dict(item) for item in current]
    for change in as_list(given):
        if not isinstance(change, dict):
            raise B24Error(400, "", f"Parameter 'fields[{kind}]' must be array of objects.")
        existing = next((i for i in items if change.get("ID") and i["ID"] == str(change["ID"])), None)
        if existing is None:
            if change.get("VALUE"):
                items.append(multi_value(portal, kind, str(change["VALUE"]), str(change.get("VALUE_TYPE") or "WORK")))
        elif change.get("DELETE") == "Y" or change.get("VALUE") == "":
            items.remove(existing)
        else:
            existing["VALUE"] = str(change.get("VALUE", existing["VALUE"]))
            existing["VALUE_TYPE"] = str(change.get("VALUE_TYPE", existing["VALUE_TYPE"]))
    return items

"""``crm.*.fields``: a description of each field the entity's records carry.

Shape from https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-fields.html: per field ``type``,
``isRequired``, ``isReadOnly``, ``isImmutable``, ``isMultiple``, ``isDynamic`` (user fields) and ``title``; status
fields add ``statusType``. Titles here are the field codes (the real ones are localised labels).
"""

from __future__ import annotations

from typing import Any

from bitrix24_simulator.crm.entities import Entity
from bitrix24_simulator.crm.listing import MULTI_FIELDS
from bitrix24_simulator.store import Portal

_TYPES = {
    "ID": "integer",
    "OPPORTUNITY": "double",
    "TAX_VALUE": "double",
    "PRICE": "double",
    "CURRENCY_ID": "crm_currency",
    "CATEGORY_ID": "crm_category",
    "STAGE_ID": "crm_status",
    "TYPE_ID": "crm_status",
    "SOURCE_ID": "crm_status",
    "COMPANY_TYPE": "crm_status",
    "CONTACT_ID": "crm_contact",
    "COMPANY_ID": "crm_company",
    "ASSIGNED_BY_ID": "user",
    "CREATED_BY_ID": "user",
    "MODIFY_BY_ID": "user",
    "BEGINDATE": "date",
    "CLOSEDATE": "date",
}
_STATUS_TYPES = {
    "STAGE_ID": "DEAL_STAGE",
    "TYPE_ID": "DEAL_TYPE",
    "SOURCE_ID": "SOURCE",
    "COMPANY_TYPE": "COMPANY_TYPE",
}
_CHAR_FLAGS = frozenset({"OPENED", "CLOSED", "HAS_PHONE", "HAS_EMAIL", "ACTIVE", "IS_MANUAL_OPPORTUNITY", "IS_NEW"})


def describe(portal: Portal, entity: Entity, params: dict[str, Any]) -> dict[str, Any]:
    names: dict[str, None] = {}
    for record in portal.records(entity.table)[:20]:
        names.update(dict.fromkeys(k for k in record if not k.startswith("_")))
    return {name: _field(entity, name) for name in names}


def _field(entity: Entity, name: str) -> dict[str, Any]:
    if name in MULTI_FIELDS:
        kind = "crm_multifield"
    elif name in _CHAR_FLAGS:
        kind = "char"
    elif name.startswith("DATE_") or name == "TIMESTAMP_X":
        kind = "datetime"
    else:
        kind = _TYPES.get(name, "string")
    description: dict[str, Any] = {
        "type": kind,
        "isRequired": False,
        "isReadOnly": name in entity.read_only or name == "STAGE_SEMANTIC_ID",
        "isImmutable": name == "CATEGORY_ID",
        "isMultiple": name in MULTI_FIELDS,
        "isDynamic": name.startswith("UF_"),
    }
    if entity.table == "deal" and name in _STATUS_TYPES:
        description["statusType"] = _STATUS_TYPES[name]
    description["title"] = name
    return description

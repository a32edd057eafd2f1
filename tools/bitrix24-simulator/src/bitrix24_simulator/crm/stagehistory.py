"""``crm.stagehistory.list``: the stage moves of deals, and their recording when a deal is added, moved or deleted.

https://apidocs.bitrix24.com/api-reference/crm/crm-stage-history-list.html (docs/bitrix24.md, "Stage history"):
``entityTypeId`` names the kind (2 = deals); ``filter``/``order``/``select``/``start`` work as in the other list
methods (pages of 50, ``total``, ``next``), but the page comes wrapped as ``{"items": [...]}``. An item's ``ID``,
``TYPE_ID`` (1 created, 2 moved to an intermediate stage, 3 moved to a final stage, 5 moved to another funnel),
``OWNER_ID`` and ``CATEGORY_ID`` are integers; ``CREATED_TIME`` is when the deal entered ``STAGE_ID``.
"""

from __future__ import annotations

from typing import Any

from bitrix24_simulator.crm.listing import Page, list_records
from bitrix24_simulator.errors import B24Error
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import parse_date

CREATED, MOVED, FINAL, FUNNEL_CHANGED = 1, 2, 3, 5
DEALS = "2"  # entityTypeId of deals
FIELDS = ("ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_SEMANTIC_ID", "STAGE_ID")
_INTEGERS = frozenset({"ID", "TYPE_ID", "OWNER_ID", "CATEGORY_ID"})
_PREFIXES = ("!@", ">=", "<=", "!=", "=%", "%=", ">", "<", "@", "%", "=", "!")


def stagehistory_list(portal: Portal, params: dict[str, Any]) -> Page:
    entity_type = str(params.get("entityTypeId", params.get("ENTITY_TYPE_ID", "")))
    if entity_type != DEALS:
        # Leads, invoices and smart processes are not simulated: their ids answer like an unknown type.
        raise B24Error(400, "ENTITY_TYPE_NOT_SUPPORTED", f"Entity type `{entity_type}` is not supported")
    conditions = params.get("filter") if isinstance(params.get("filter"), dict) else {}
    for key, value in (conditions or {}).items():
        _check_filter(str(key), value)
    order = params.get("order") if isinstance(params.get("order"), dict) else {}
    for key, direction in (order or {}).items():
        if str(key).upper() not in FIELDS:
            raise _invalid(f"Invalid order: field '{key}' is not allowed in order")
        if str(direction).upper() not in ("ASC", "DESC"):
            raise _invalid(
                f"Invalid order: allowed sort directions are ASC, DESC. But got '{direction}' for field '{key}'"
            )
    return list_records(portal.records("stagehistory"), params)


def _check_filter(key: str, value: Any) -> None:
    prefix = next((p for p in _PREFIXES if key.startswith(p)), "")
    name = key[len(prefix) :].upper()
    if name not in FIELDS:
        raise _invalid(f"Invalid filter: field '{key}' is not allowed in filter")
    values = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    for one in values:
        if name == "CREATED_TIME" and parse_date(str(one)) is None:
            raise _invalid(f"Invalid filter: field '{name}' has invalid value")
        if name in _INTEGERS and not str(one).lstrip("-").isdigit():
            raise _invalid(f"Invalid filter: field '{name}' has invalid value")


def _invalid(description: str) -> B24Error:
    return B24Error(400, "INVALID_ARG_VALUE", description)


def record(portal: Portal, deal: dict[str, Any], type_id: int, when: str | None = None) -> dict[str, Any]:
    """Write the row of ``deal`` entering its current stage (now, unless ``when`` says otherwise)."""
    return portal.add(
        "stagehistory",
        {
            "ID": portal.next_id("stagehistory"),
            "TYPE_ID": type_id,
            "OWNER_ID": int(deal["ID"]),
            "CREATED_TIME": when or portal.now_iso(),
            "CATEGORY_ID": int(deal.get("CATEGORY_ID") or 0),
            "STAGE_SEMANTIC_ID": deal["STAGE_SEMANTIC_ID"],
            "STAGE_ID": deal["STAGE_ID"],
        },
    )


def type_of(deal: dict[str, Any]) -> int:
    """A move into a won or lost stage is final (3); any other move is to an intermediate stage (2)."""
    return FINAL if deal.get("STAGE_SEMANTIC_ID") in ("S", "F") else MOVED


def on_deal_change(portal: Portal, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """Record what an add or update did to a deal's stage: created, another funnel, or another stage."""
    if before is None:
        record(portal, after, CREATED)
    elif str(before.get("CATEGORY_ID")) != str(after.get("CATEGORY_ID")):
        record(portal, after, FUNNEL_CHANGED)
    elif before.get("STAGE_ID") != after.get("STAGE_ID"):
        record(portal, after, type_of(after))


def forget(portal: Portal, deal_id: int) -> None:
    """A deleted deal's history goes with it (not documented; see docs/bitrix24.md, "Stage history")."""
    for row in portal.records("stagehistory"):
        if row["OWNER_ID"] == deal_id:
            portal.remove("stagehistory", row["ID"])

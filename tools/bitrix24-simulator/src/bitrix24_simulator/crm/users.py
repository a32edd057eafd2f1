"""``user.get``: the portal's employees, filtered and paged.

https://apidocs.bitrix24.com/api-reference/user/user-get.html (docs/bitrix24.md, "Users"): ``sort`` names a field
and ``order`` its direction (ascending ``ID`` by default); ``FILTER`` (or ``filter``, or the fields given at the top
level, as the documented ``UF_DEPARTMENT: 1`` example does) takes the list prefixes and arrays; ``ACTIVE: true``
leaves out dismissed employees; ``start`` pages by 50. ``ID`` is a string, ``ACTIVE`` a boolean, ``UF_DEPARTMENT`` a
list of department ids.
"""

from __future__ import annotations

from typing import Any

from bitrix24_simulator.crm.listing import Page, list_records
from bitrix24_simulator.errors import must_be_array
from bitrix24_simulator.params import as_list
from bitrix24_simulator.store import Portal

FIELDS = (
    "ID",
    "ACTIVE",
    "NAME",
    "LAST_NAME",
    "SECOND_NAME",
    "EMAIL",
    "LAST_LOGIN",
    "DATE_REGISTER",
    "TIME_ZONE",
    "IS_ONLINE",
    "PERSONAL_GENDER",
    "PERSONAL_BIRTHDAY",
    "WORK_PHONE",
    "WORK_POSITION",
    "UF_EMPLOYMENT_DATE",
    "UF_DEPARTMENT",
    "USER_TYPE",
)
_CONTROL = frozenset({"SORT", "ORDER", "FILTER", "START", "SELECT", "ADMIN_MODE", "IMAGE_RESIZE"})


def user_get(portal: Portal, params: dict[str, Any]) -> Page:
    given = params.get("FILTER", params.get("filter"))
    if given not in (None, "") and not isinstance(given, dict):
        raise must_be_array("FILTER")
    conditions: dict[str, Any] = {str(k): v for k, v in (given or {}).items()}
    conditions.update({k: v for k, v in params.items() if k.upper() not in _CONTROL and k.upper() in FIELDS})
    users = portal.records("user")
    active = _pop(conditions, "ACTIVE")
    if active is not None:
        wanted = str(active).lower() in ("true", "y", "1")
        users = [u for u in users if u["ACTIVE"] is wanted]
    department = _pop(conditions, "UF_DEPARTMENT")
    if department is not None:
        departments = {str(d) for d in (department if isinstance(department, list) else [department])}
        users = [u for u in users if departments & {str(d) for d in u["UF_DEPARTMENT"]}]
    sort = str(params.get("sort", params.get("SORT")) or "ID")
    direction = str(params.get("order", params.get("ORDER")) or "ASC").upper()
    listing = {"filter": conditions, "order": {sort: direction}, "start": params.get("start", params.get("START"))}
    # ``EMAIL`` is a plain field here, not the CRM's multiple field that ``*`` leaves out: name the fields.
    select = [str(s) for s in as_list(params.get("select"))] or ["*"]
    listing["select"] = [f for s in select for f in (FIELDS if s == "*" else (s,))]
    return list_records(users, listing)


def _pop(conditions: dict[str, Any], name: str) -> Any:
    for key in list(conditions):
        if key.upper() == name:
            return conditions.pop(key)
    return None

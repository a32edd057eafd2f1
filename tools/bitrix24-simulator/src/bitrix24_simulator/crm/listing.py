"""``*.list`` semantics: filter prefixes, order, select masks, pages of 50 with ``next``/``total``, and the fast path.

Sources: https://apidocs.bitrix24.com/api-reference/crm/contacts/crm-contact-list.html (filter prefixes, select
masks), https://apidocs.bitrix24.com/settings/how-to-call-rest-api/list-methods-pecularities.html (pages of 50,
``next``), https://apidocs.bitrix24.com/settings/performance/huge-data.html (``start=-1``: no count, no ``next``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bitrix24_simulator.errors import must_be_array
from bitrix24_simulator.params import as_list
from bitrix24_simulator.timefmt import parse_date

PAGE_SIZE = 50
MULTI_FIELDS = frozenset({"PHONE", "EMAIL", "WEB", "IM", "LINK"})
# Longest first, so that ">=" is not read as ">" followed by "=".
_PREFIXES = ("!@", ">=", "<=", "!=", "=%", "%=", ">", "<", "@", "%", "=", "!")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int | None  # None on the fast path: the count is not computed
    next: int | None


def list_records(records: list[dict[str, Any]], params: dict[str, Any]) -> Page:
    """Filter, order, page and select ``records`` as the ``crm.*.list`` methods do."""
    matching = [r for r in records if matches(r, _dict_param(params, "filter"))]
    ordered = _order(matching, _dict_param(params, "order"))
    start = _start(params.get("start"))
    select = [str(s) for s in as_list(params.get("select"))] or ["*", "UF_*"]
    if start < 0:
        return Page([project(r, select) for r in ordered[:PAGE_SIZE]], None, None)
    page = ordered[start : start + PAGE_SIZE]
    following = start + PAGE_SIZE if start + PAGE_SIZE < len(ordered) else None
    return Page([project(r, select) for r in page], len(ordered), following)


def _dict_param(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise must_be_array(name)
    return value


def _start(value: Any) -> int:
    try:
        return max(int(value), -1) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


def project(record: dict[str, Any], select: list[str]) -> dict[str, Any]:
    """Apply select masks: ``*`` is every field but user and multiple fields, ``UF_*`` the user fields."""
    wanted = {s.upper() for s in select}
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key.startswith("_"):
            continue
        is_uf = key.startswith("UF_")
        if (
            key == "ID"
            or key in wanted
            or ("*" in wanted and not is_uf and key not in MULTI_FIELDS)
            or ("UF_*" in wanted and is_uf)
        ):
            out[key] = value
    return out


def matches(record: dict[str, Any], conditions: dict[str, Any]) -> bool:
    return all(_condition(record, key, expected) for key, expected in conditions.items())


def _condition(record: dict[str, Any], key: str, expected: Any) -> bool:
    prefix = next((p for p in _PREFIXES if key.startswith(p)), "")
    name = key[len(prefix) :].upper()
    actual = record.get(name)
    if name in MULTI_FIELDS:  # multiple fields: exact matches only
        values = {str(item.get("VALUE")) for item in actual or []}
        wanted = {str(v) for v in as_list(expected)}
        hit = bool(values & wanted)
        return not hit if prefix in ("!", "!=", "!@") else hit
    if prefix in ("@", "!@"):
        inside = any(_equal(name, actual, v) for v in as_list(expected))
        return inside if prefix == "@" else not inside
    if prefix in ("%", "=%", "%="):
        return _like(actual, str(expected), anywhere=prefix == "%")
    if prefix in ("!", "!="):
        return not _equal(name, actual, expected)
    if prefix in (">", ">=", "<", "<="):
        return _compare(name, actual, expected, prefix)
    if isinstance(expected, (list, dict)):
        return any(_equal(name, actual, v) for v in as_list(expected))
    return _equal(name, actual, expected)


def _key(name: str, value: Any) -> Any:
    """A comparable form: dates as datetimes, numbers as Decimals, the rest as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value)
    if name.startswith("DATE_") or name in (
        "CLOSEDATE",
        "BEGINDATE",
        "BIRTHDATE",
        "TIMESTAMP_X",
        "MOVED_TIME",
        "CREATED_TIME",
        "LAST_LOGIN",
    ):
        return parse_date(text)
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def _equal(name: str, actual: Any, expected: Any) -> bool:
    left, right = _key(name, actual), _key(name, expected)
    if type(left) is not type(right):
        return str(actual or "") == str(expected or "")
    return bool(left == right)


def _compare(name: str, actual: Any, expected: Any, op: str) -> bool:
    left, right = _key(name, actual), _key(name, expected)
    if left is None or right is None or type(left) is not type(right):
        return False
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


def _like(actual: Any, pattern: str, *, anywhere: bool) -> bool:
    text = str(actual or "").lower()
    needle = pattern.lower()
    if anywhere:
        return needle.strip("%") in text
    core = needle.strip("%")
    if needle.startswith("%") and needle.endswith("%"):
        return core in text
    if needle.endswith("%"):
        return text.startswith(core)
    if needle.startswith("%"):
        return text.endswith(core)
    return text == core


def _order(records: list[dict[str, Any]], order: dict[str, Any]) -> list[dict[str, Any]]:
    """Stable multi-key sort; the default is ``ID`` ascending."""
    result = sorted(records, key=lambda r: int(r["ID"]))
    for field_name, direction in reversed(list(order.items())):
        name = field_name.upper()
        descending = str(direction).upper() == "DESC"
        present = [r for r in result if _key(name, r.get(name)) is not None]
        absent = [r for r in result if _key(name, r.get(name)) is None]
        present.sort(key=_sort_key(name), reverse=descending)
        result = absent + present if not descending else present + absent
    return result


def _sort_key(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda record: _sortable(_key(name, record.get(name)))


def _sortable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (0, value.timestamp(), "")
    if isinstance(value, Decimal):
        return (0, float(value), "")
    return (1, 0.0, str(value))

"""The ``filter`` grammar (docs/moysklad.md, "Collections"), compiled into a predicate over stored records."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moysklad_simulator.errors import bad_date, bad_filter
from moysklad_simulator.model import Ref, id_from_href
from moysklad_simulator.timefmt import fmt_ms, parse_msk

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

OPERATORS = ("!=", ">=", "<=", "~=", "=~", "!~", "=", ">", "<", "~")
RANGE_OPS = frozenset({">", "<", ">=", "<="})
LIKE_OPS = frozenset({"~", "~=", "=~", "!~"})
DATE_FIELDS = frozenset(
    {"updated", "created", "moment", "deleted", "deliveryPlannedMoment", "paymentPlannedMoment", "incomingDate"}
)
_SPLIT = re.compile(r"(?<!\\);")
# Fields that may be filtered even where a record happens to lack them.
KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "code",
        "externalCode",
        "archived",
        "updated",
        "created",
        "description",
        "article",
        "pathName",
        "productFolder",
        "uom",
        "barcodes",
        "email",
        "phone",
        "inn",
        "kpp",
        "companyType",
        "tags",
        "owner",
        "group",
        "shared",
        "moment",
        "sum",
        "agent",
        "organization",
        "store",
        "state",
        "applicable",
        "deleted",
        "isDeleted",
        "productid",
        "product",
        "parent",
        "supplier",
        "project",
        "contract",
        "printed",
        "published",
        "legalTitle",
        "actualAddress",
        "legalAddress",
        "syncId",
        "weight",
        "volume",
        "vat",
        "uid",
        "lastName",
        "firstName",
        "middleName",
        "isoCode",
        "multiplicity",
        "address",
        "minimumBalance",
        "customerOrder",
        "demand",
        "retailStore",
        "updatedBy",
        "state.name",
        "assortment",
        "salesChannel",
    }
)


@dataclass
class FieldConditions:
    equals: list[str] = field(default_factory=list)
    not_equals: list[str] = field(default_factory=list)
    ranges: dict[str, str] = field(default_factory=dict)
    likes: list[tuple[str, str]] = field(default_factory=list)


Special = Callable[[Record], Any]


def parse_filter(text: str | None) -> dict[str, FieldConditions]:
    """Split ``a=1;b>=2`` into per-field conditions; raises 1034 on malformed input."""
    fields: dict[str, FieldConditions] = {}
    for raw in _SPLIT.split(text or ""):
        if not raw.strip():
            continue
        name, op, value = _split_condition(raw.replace("\\;", ";"))
        cond = fields.setdefault(name, FieldConditions())
        if op == "=":
            cond.equals.append(value)
        elif op == "!=":
            cond.not_equals.append(value)
        elif op in RANGE_OPS:
            cond.ranges.setdefault(op, value)  # a repeated range operator keeps the first one
        else:
            cond.likes.append((op, value))
        if cond.equals and cond.ranges:
            raise bad_filter(f"нельзя совмещать '=' и операторы сравнения для поля '{name}'")
    return fields


def _split_condition(raw: str) -> tuple[str, str, str]:
    for index, char in enumerate(raw):
        if char in "=!<>~":
            op = next(o for o in OPERATORS if raw.startswith(o, index))
            name = raw[:index].strip()
            if not name:
                break
            return name, op, raw[index + len(op) :]
    raise bad_filter(f"неверное условие '{raw}'")


def compile_filter(
    conditions: dict[str, FieldConditions], specials: dict[str, Special], sample: list[Record]
) -> Predicate:
    """One predicate ANDing all fields; ``specials`` compute virtual fields such as ``isDeleted``."""
    checks = [_field_check(name, cond, specials, sample) for name, cond in conditions.items()]
    return lambda rec: all(check(rec) for check in checks)


def _field_check(name: str, cond: FieldConditions, specials: dict[str, Special], sample: list[Record]) -> Predicate:
    if name not in specials and name not in KNOWN_FIELDS and not _in_sample(name, sample):
        raise bad_filter(f"неизвестное поле '{name}'")
    getter: Special = specials.get(name) or (lambda rec: rec.get(name))
    norm = _normalizer(name)
    equals = _Wanted([norm(v) for v in cond.equals]) if cond.equals else None
    not_equals = _Wanted([norm(v) for v in cond.not_equals])
    ranges = [(op, norm(v)) for op, v in cond.ranges.items()]
    likes = [(op, v.lower()) for op, v in cond.likes]

    def check(rec: Record) -> bool:
        values = _values(getter(rec))
        if equals is not None and not equals.match(values):
            return False
        if not_equals.match(values):
            return False
        return all(_in_range(values, op, v) for op, v in ranges) and all(_like(values, op, v) for op, v in likes)

    return check


def _in_sample(name: str, sample: list[Record]) -> bool:
    return any(name in rec for rec in sample[:50])


def _normalizer(name: str) -> Callable[[str], str]:
    if name in DATE_FIELDS:

        def norm_date(value: str) -> str:
            if value == "":
                return ""
            parsed = parse_msk(value)
            if parsed is None:
                raise bad_date(value)
            return fmt_ms(parsed)

        return norm_date
    return lambda value: id_from_href(value) if value.startswith(("http://", "https://")) else value


def _values(raw: Any) -> list[Any]:
    """A record value as comparable scalars (lists such as barcodes or tags match any element)."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        return [s for item in raw for s in _values(item)]
    if isinstance(raw, dict):
        return [str(v) for v in raw.values() if isinstance(v, str)]
    return [_scalar(raw)]


def _scalar(raw: Any) -> Any:
    if isinstance(raw, Ref):
        return raw.id
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return raw if isinstance(raw, int | float) else str(raw)


class _Wanted:
    """The values of ``field=a;field=b``: a record matches when one of its values equals one of them (a number
    compared as a number), or, for ``field=``, when it has no value. Sets, not a scan per wanted value: a connector
    asks for a hundred ids at once of a hundred-thousand-row list."""

    def __init__(self, wanted: list[str]) -> None:
        self.empty = "" in wanted
        self.text = frozenset(w for w in wanted if w != "")
        self.numbers = frozenset(n for w in self.text if (n := _num(w)) is not None)

    def match(self, values: list[Any]) -> bool:
        if not values:
            return self.empty
        return any((v in self.numbers) if isinstance(v, int | float) else (v in self.text) for v in values)


def pinned_ids(conditions: dict[str, FieldConditions]) -> frozenset[str] | None:
    """The ids a filter is limited to (``id=…;id=…`` and nothing else on ``id``), else None: a list can look those
    records up instead of testing every record (the full predicate still runs on them)."""
    cond = conditions.get("id")
    if cond is None or not cond.equals or cond.not_equals or cond.ranges or cond.likes or "" in cond.equals:
        return None
    norm = _normalizer("id")
    return frozenset(norm(v) for v in cond.equals)


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _in_range(values: list[Any], op: str, bound: str) -> bool:
    if not values:
        return False
    left: Any = values[0]
    right: Any = bound
    if isinstance(left, int | float):
        right = _num(bound)
        if right is None:
            raise bad_filter(f"неверное числовое значение '{bound}'")
    if op == ">":
        return bool(left > right)
    if op == "<":
        return bool(left < right)
    if op == ">=":
        return bool(left >= right)
    return bool(left <= right)


def _like(values: list[Any], op: str, needle: str) -> bool:
    lowered = [str(v).lower() for v in values]
    if op == "~":
        return any(needle in v for v in lowered)
    if op == "~=":
        return any(v.startswith(needle) for v in lowered)
    if op == "=~":
        return any(v.endswith(needle) for v in lowered)
    return not any(needle in v for v in lowered)

"""Query parameters, filter/search/order, paging and the list envelope (docs/moysklad.md, "Collections")."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.filters import FieldConditions, Record, Special, compile_filter, parse_filter, pinned_ids
from moysklad_simulator.model import CANONICAL_BASE, MEDIA_TYPE, employee_context
from moysklad_simulator.render import ExpandTree, parse_expand
from moysklad_simulator.timefmt import fmt_ms, parse_msk

EXPAND_MAX_LIMIT = 100
DEFAULT_ORDER_FIELDS = frozenset(
    {"id", "updated", "name", "code", "externalCode", "created", "moment", "sum", "article", "pathName", "archived"}
)
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "product": ("name", "code", "article", "barcodes"),
    "variant": ("name", "code", "article", "barcodes"),
    "bundle": ("name", "code", "article", "barcodes"),
    "counterparty": ("name", "code", "legalTitle", "email", "phone", "discountCardNumber", "inn"),
    "employee": ("name", "email", "phone", "uid"),
}
DOCUMENT_SEARCH = ("name", "description", "incomingNumber", "code")


@dataclass
class ListQuery:
    """Parsed paging and selection parameters of one list request."""

    limit: int
    offset: int
    filter: str | None
    order: str | None
    search: str | None
    expand: ExpandTree
    fields: str | None
    params: list[tuple[str, str]]
    path: str


def parse_query(
    path: str, params: Iterable[tuple[str, str]], *, default_limit: int = 1000, max_limit: int = 1000
) -> ListQuery:
    """Read limit/offset/filter/order/search/expand/fields; expand is dropped when limit > 100 ("Collections")."""
    pairs = list(params)
    raw = dict(pairs)
    limit = _int_param(raw, "limit", default_limit)
    offset = _int_param(raw, "offset", 0)
    if limit > max_limit or limit < 1:
        # MoySklad documents only the maximum, not the error code (docs/moysklad.md, "Collections"); 1002 is our choice.
        raise MoySkladError(400, 1002, f"Значение параметра 'limit' должно быть от 1 до {max_limit}", "limit")
    if offset < 0:
        raise MoySkladError(400, 1002, "Значение параметра 'offset' не может быть отрицательным", "offset")
    fields = raw.get("fields")
    if fields and "," in fields:
        raise MoySkladError(412, 3042, "Можно передать только одно значение параметра 'fields'", "fields")
    expand = parse_expand(raw.get("expand")) if limit <= EXPAND_MAX_LIMIT else {}
    return ListQuery(
        limit=limit,
        offset=offset,
        filter=raw.get("filter"),
        order=raw.get("order"),
        search=raw.get("search"),
        expand=expand,
        fields=fields if limit <= EXPAND_MAX_LIMIT else None,
        params=pairs,
        path=path,
    )


def _int_param(raw: Mapping[str, str], name: str, default: int) -> int:
    value = raw.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise MoySkladError(400, 1002, f"Неверное значение параметра '{name}': '{value}'", name) from None


RowT = TypeVar("RowT")


class ListCache(Generic[RowT]):
    """Filtered and ordered lists, kept while the data they came from is unchanged.

    A client pages a large list many times with the same selection: the reconciliation by ``offset``, a sync by
    ``updated>=<cursor>`` moving forward page after page. Each page then costs one lookup and a slice instead of a
    filter and two sorts over every record. The ``updated`` window is applied after the lookup (it moves with the
    cursor), by bisection when the list is ordered by ``updated`` first. ``stamp`` identifies the data: anything
    that can change a record (a write request, live mode, a new ``updated``) changes it.
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, list[RowT], list[tuple[int, Any]] | None]] = OrderedDict()
        self._lock = threading.Lock()  # list routes run in the server's thread pool

    def get(self, key: Hashable, stamp: Hashable) -> tuple[list[RowT], list[tuple[int, Any]] | None] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def put(
        self, key: Hashable, stamp: Hashable, rows: list[RowT], updated: list[tuple[int, Any]] | None = None
    ) -> None:
        with self._lock:
            self._entries[key] = (stamp, rows, updated)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def select(
    records: list[Record],
    query: ListQuery,
    entity_type: str,
    *,
    specials: dict[str, Special] | None = None,
    defaults: dict[str, str] | None = None,
    order_fields: frozenset[str] = DEFAULT_ORDER_FIELDS,
    cache: ListCache[Record] | None = None,
    stamp: Hashable = None,
) -> list[Record]:
    """Filter, search and order ``records``; ``defaults`` add conditions unless the filter names the field.

    With a ``cache``, ``stamp`` must change whenever any record may have changed (see ``ListCache``).
    """
    specials = specials or {}
    conditions = parse_filter(query.filter)
    for name, value in (defaults or {}).items():
        if name not in conditions:
            conditions.update(parse_filter(f"{name}={value}"))
    keys = order_keys(query.order, order_fields) if query.order else []
    window = conditions.pop("updated", None) if _is_window(conditions.get("updated"), specials) else None
    window_check = compile_filter({"updated": window}, specials, records) if window is not None else None
    predicate = compile_filter(conditions, specials, records)  # raises for a bad filter before any lookup
    key = (entity_type, _canonical(conditions), query.search, tuple(keys))
    cached = cache.get(key, stamp) if cache is not None else None
    if cached is None:
        ids = None if "id" in specials else pinned_ids(conditions)
        candidates = records if ids is None else [rec for rec in records if rec.get("id") in ids]
        rows = [rec for rec in candidates if predicate(rec)]
        if query.search:
            rows = _search(rows, query.search, SEARCH_FIELDS.get(entity_type, DOCUMENT_SEARCH))
        rows = order(rows, keys)
        # Ordered by `updated` first and every `updated` a text stamp: a window is two bisections, exactly what the
        # range check would keep (stamps compare as text, and `_sort_key` keeps their order).
        by_updated = (
            cache is not None
            and keys[:1] == [("updated", False)]
            and all(isinstance(rec.get("updated"), str) for rec in rows)
        )
        stamps = [_sort_key(rec["updated"]) for rec in rows] if by_updated else None
        if cache is not None:
            cache.put(key, stamp, rows, stamps)
    else:
        rows, stamps = cached
    if window is None or window_check is None:
        return rows
    if stamps is not None:
        return rows[_window_start(stamps, window) : _window_end(stamps, window)]
    return [rec for rec in rows if window_check(rec)]


def _is_window(cond: FieldConditions | None, specials: dict[str, Special]) -> bool:
    """``updated`` limited by ranges only (``updated>=…;updated<…``): the part of a filter that moves with a cursor."""
    return cond is not None and bool(cond.ranges) and not (cond.equals or cond.not_equals or cond.likes)


def _canonical(conditions: dict[str, FieldConditions]) -> Hashable:
    return tuple(
        (name, tuple(c.equals), tuple(c.not_equals), tuple(sorted(c.ranges.items())), tuple(c.likes))
        for name, c in sorted(conditions.items())
    )


def _window_start(stamps: list[tuple[int, Any]], window: FieldConditions) -> int:
    """Where the rows ordered by ``updated`` enter the window: rows before it cannot match, the rest is checked."""
    start = 0
    for op, first in ((">=", bisect_left), (">", bisect_right)):
        bound = window.ranges.get(op)
        if bound is not None:
            start = max(start, first(stamps, _sort_key(_norm_moment(bound))))
    return start


def _window_end(stamps: list[tuple[int, Any]], window: FieldConditions) -> int:
    end = len(stamps)
    for op, last in (("<=", bisect_right), ("<", bisect_left)):
        bound = window.ranges.get(op)
        if bound is not None:
            end = min(end, last(stamps, _sort_key(_norm_moment(bound))))
    return max(end, 0)


def _norm_moment(bound: str) -> str:
    parsed = parse_msk(bound)
    return fmt_ms(parsed) if parsed is not None else bound


def _search(rows: list[Record], text: str, fields: tuple[str, ...]) -> list[Record]:
    """Word-prefix search: every query word must start some word of the searched fields ("Collections")."""
    needles = text.lower().split()

    def words(rec: Record) -> list[str]:
        out: list[str] = []
        for name in fields:
            value = rec.get(name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                text_value = " ".join(item.values()) if isinstance(item, dict) else str(item or "")
                out.extend(text_value.lower().replace('"', " ").replace("«", " ").split())
        return out

    return [rec for rec in rows if all(any(w.startswith(n) for w in words(rec)) for n in needles)]


def order_keys(spec: str, allowed: frozenset[str]) -> list[tuple[str, bool]]:
    """``order=updated,asc;id,desc`` as (field, descending) pairs; unknown fields give 1063."""
    keys: list[tuple[str, bool]] = []
    for part in (p for p in spec.split(";") if p.strip()):
        name, _, direction = part.partition(",")
        name, direction = name.strip(), (direction.strip().lower() or "asc")
        if name not in allowed or direction not in ("asc", "desc"):
            raise MoySkladError(400, 1063, f"Сортировка по полю '{name}' не поддерживается", "order")
        keys.append((name, direction == "desc"))
    return keys


def order(rows: list[Record], keys: list[tuple[str, bool]]) -> list[Record]:
    """Rows ordered by ``keys`` (ascending by default); ties keep their stored order."""
    for name, descending in reversed(keys):
        rows = sorted(rows, key=_key_of(name), reverse=descending)
    return rows


def _key_of(name: str) -> Callable[[Record], tuple[int, Any]]:
    return lambda rec: _sort_key(rec.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value).casefold())


def envelope(query: ListQuery, entity_type: str, size: int, rows: list[Any]) -> dict[str, Any]:
    """``{context, meta{href,type,mediaType,size,limit,offset,nextHref?,previousHref?}, rows}``."""
    meta: dict[str, Any] = {
        "href": _href(query, query.params),
        "type": entity_type,
        "mediaType": MEDIA_TYPE,
        "size": size,
        "limit": query.limit,
        "offset": query.offset,
    }
    if query.offset + query.limit < size:
        meta["nextHref"] = _href(query, _paged(query.params, query.offset + query.limit, query.limit))
    if query.offset > 0:
        previous = max(0, query.offset - query.limit)
        meta["previousHref"] = _href(query, _paged(query.params, previous, query.offset - previous))
    return {"context": employee_context(), "meta": meta, "rows": rows}


def page(rows: list[Any], query: ListQuery) -> list[Any]:
    return rows[query.offset : query.offset + query.limit]


def _paged(params: list[tuple[str, str]], offset: int, limit: int) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in params if k not in ("offset", "limit")]
    return [*kept, ("offset", str(offset)), ("limit", str(limit))]


def _href(query: ListQuery, params: list[tuple[str, str]]) -> str:
    url = f"{CANONICAL_BASE}/{query.path}"
    return f"{url}?{urlencode(params, quote_via=quote)}" if params else url

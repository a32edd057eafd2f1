"""Query parameters, filter/search/order, paging and the list envelope (docs/moysklad.md, "Collections")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.filters import Record, Special, compile_filter, parse_filter
from moysklad_simulator.model import CANONICAL_BASE, MEDIA_TYPE, employee_context
from moysklad_simulator.render import ExpandTree, parse_expand

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


def select(
    records: list[Record],
    query: ListQuery,
    entity_type: str,
    *,
    specials: dict[str, Special] | None = None,
    defaults: dict[str, str] | None = None,
    order_fields: frozenset[str] = DEFAULT_ORDER_FIELDS,
) -> list[Record]:
    """Filter, search and order ``records``; ``defaults`` add conditions unless the filter names the field."""
    conditions = parse_filter(query.filter)
    for name, value in (defaults or {}).items():
        if name not in conditions:
            conditions.update(parse_filter(f"{name}={value}"))
    predicate = compile_filter(conditions, specials or {}, records)
    rows = [rec for rec in records if predicate(rec)]
    if query.search:
        rows = _search(rows, query.search, SEARCH_FIELDS.get(entity_type, DOCUMENT_SEARCH))
    if query.order:
        rows = order(rows, query.order, order_fields)
    return rows


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


def order(rows: list[Record], spec: str, allowed: frozenset[str]) -> list[Record]:
    """``order=updated,asc;name`` (ascending by default); unknown fields give 1063."""
    keys: list[tuple[str, bool]] = []
    for part in (p for p in spec.split(";") if p.strip()):
        name, _, direction = part.partition(",")
        name, direction = name.strip(), (direction.strip().lower() or "asc")
        if name not in allowed or direction not in ("asc", "desc"):
            raise MoySkladError(400, 1063, f"Сортировка по полю '{name}' не поддерживается", "order")
        keys.append((name, direction == "desc"))
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

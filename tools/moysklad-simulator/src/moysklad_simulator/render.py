"""Turn stored records into MoySklad JSON, expanding references on request (docs/moysklad.md, "Collections")."""

from __future__ import annotations

from typing import Any, Protocol

from moysklad_simulator.model import CANONICAL_BASE, MEDIA_TYPE, Collection, Inline, Ref, entity_meta

ExpandTree = dict[str, "ExpandTree"]
MAX_EXPAND_DEPTH = 3


class Lookup(Protocol):
    def find(self, ref: Ref) -> dict[str, Any] | None: ...


def parse_expand(text: str | None) -> ExpandTree:
    """``agent,positions.assortment`` → ``{"agent": {}, "positions": {"assortment": {}}}``."""
    tree: ExpandTree = {}
    for path in (text or "").split(","):
        node = tree
        for part in [p.strip() for p in path.split(".") if p.strip()][:MAX_EXPAND_DEPTH]:
            node = node.setdefault(part, {})
    return tree


def render_record(record: dict[str, Any], lookup: Lookup, expand: ExpandTree | None = None) -> dict[str, Any]:
    """Render one stored record; ``expand`` lists the references to inline."""
    ref: Ref = record["_ref"]
    out: dict[str, Any] = {"meta": entity_meta(ref, record.get("_ui"))}
    for key, value in record.items():
        if key[0] == "_":
            continue
        out[key] = render_value(value, lookup, expand.get(key) if expand else None)
    return out


def ref_meta(ref: Ref, lookup: Lookup) -> dict[str, Any]:
    """Meta of a reference, with the UI id of the target where it has one."""
    target = lookup.find(ref) if ref.type in ("product", "service", "bundle", "variant") else None
    return entity_meta(ref, target.get("_ui") if target else None)


def render_value(value: Any, lookup: Lookup, expand: ExpandTree | None) -> Any:
    if isinstance(value, Ref):
        target = lookup.find(value) if expand is not None else None
        if target is not None:
            return render_record(target, lookup, expand)
        return {"meta": ref_meta(value, lookup)}
    if isinstance(value, dict):
        return {k: render_value(v, lookup, expand.get(k) if expand else None) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(item, lookup, expand) for item in value]
    if isinstance(value, Inline):
        return {"meta": entity_meta(value.ref), **value.fields}
    if isinstance(value, Collection):
        return render_collection(value, lookup, expand)
    return value


def render_collection(value: Collection, lookup: Lookup, expand: ExpandTree | None) -> dict[str, Any]:
    """A nested MetaArray; rows only when expanded (at most 1000 inlined; docs/moysklad.md, "Collections")."""
    rows = value.materialize()
    meta = {
        "href": f"{CANONICAL_BASE}/{value.path}",
        "type": value.type,
        "mediaType": MEDIA_TYPE,
        "size": len(rows),
        "limit": 1000,
        "offset": 0,
    }
    if expand is None:
        return {"meta": meta}
    return {"meta": meta, "rows": [render_record(row, lookup, expand) for row in rows[:1000]]}

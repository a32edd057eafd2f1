"""What a page of documents needs before it can be mapped: every position, and the product of every variant.

A list with ``expand=positions`` inlines at most 1000 positions per document (docs/moysklad.md, "Collections"); the
rest are paged from ``/entity/{doc}/{id}/positions`` with the same ``fields`` (so limit ≤ 100, same section). Variant
positions name the variant only; its parent product comes from the lookups (filled by the variant sync) or, for
variants not seen yet, from one ``entity/variant?filter=id=…;id=…`` request per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from moysklad_connector.client import MoySkladClient
from moysklad_connector.mapping.common import ref_id, ref_type
from moysklad_connector.mapping.lookups import Lookups


class PageSpec(Protocol):
    """What completing a page needs of its entity spec (sync/specs.py)."""

    @property
    def type(self) -> str: ...

    @property
    def params(self) -> dict[str, str]: ...


POSITIONS_LIMIT = 100  # `fields`/`expand` need limit ≤ 100
# ids per filter: keeps the URL far below the 8 KB header budget (docs/moysklad.md, "Rate limits and errors")
VARIANT_BATCH = 50


def document_parts(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """A page of documents in page order, in parts that are completed, mapped and published one after another: the
    documents whose positions are all inlined together, and each one with more positions than that alone. So the
    connector holds one such document's positions at a time, not a page of them (a shop's initial-stock supplies,
    one per store and all on one page, can have 150,000 positions each: docs/operations.md, "Sizing")."""
    part: list[dict[str, Any]] = []
    for row in rows:
        if _inlined(row):
            part.append(row)
            continue
        if part:
            yield part
            part = []
        yield [row]
    if part:
        yield part


def _inlined(row: dict[str, Any]) -> bool:
    positions = row.get("positions")
    if not isinstance(positions, dict):
        return True
    try:
        size = int((positions.get("meta") or {}).get("size", 0))
    except (TypeError, ValueError):
        return True  # the mapper reports it
    return size <= len(positions.get("rows") or ())


async def complete_documents(ctx: Any, spec: PageSpec, rows: list[dict[str, Any]]) -> None:
    """Fill in missing positions and resolve variants for a page of documents (``rows`` change in place)."""
    client: MoySkladClient = ctx.client
    for row in rows:
        await complete_positions(client, spec.type, row, spec.params.get("fields"))
    variants = (
        ref_id(position.get("assortment"))
        for row in rows
        for position in (row.get("positions") or {}).get("rows") or []
        if ref_type(position.get("assortment")) == "variant"
    )
    await resolve_variants(client, ctx.lookups, variants)


async def complete_positions(client: MoySkladClient, doc_type: str, doc: dict[str, Any], fields: str | None) -> None:
    positions = doc.get("positions")
    if not isinstance(positions, dict) or not isinstance(doc.get("id"), str):
        return  # the mapper reports what is missing
    size = int((positions.get("meta") or {}).get("size", 0))
    rows: list[dict[str, Any]] = list(positions.get("rows") or [])
    while len(rows) < size:
        params = {"limit": str(POSITIONS_LIMIT), "offset": str(len(rows))}
        if fields:
            params["fields"] = fields
        page = await client.list_page(f"entity/{doc_type}/{doc['id']}/positions", params)
        if not page.rows:
            break
        rows += page.rows
    positions["rows"] = rows


async def resolve_variants(client: MoySkladClient, lookups: Lookups, variant_ids: Iterable[str | None]) -> None:
    """Learn the parent product of every variant in ``variant_ids`` that the lookups do not know yet."""
    missing = sorted({v for v in variant_ids if v and v not in lookups.variant_products})
    for start in range(0, len(missing), VARIANT_BATCH):
        batch = missing[start : start + VARIANT_BATCH]
        conditions = [f"id={variant_id}" for variant_id in batch] + ["archived=true", "archived=false"]
        page = await client.list_page("entity/variant", {"filter": ";".join(conditions), "limit": "1000"})
        for variant in page.rows:
            product = ref_id(variant.get("product"))
            if isinstance(variant.get("id"), str) and product:
                lookups.variant_products[variant["id"]] = product

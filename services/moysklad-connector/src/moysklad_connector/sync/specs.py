"""What the connector syncs: each MoySklad type, where it lives, how it maps and what its delete event is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crm_common.events.envelope import EventEnvelope
from moysklad_connector.mapping import catalog, documents, parties
from moysklad_connector.mapping.lookups import Lookups
from moysklad_connector.reading.positions import complete_documents, document_parts

Mapper = Callable[[dict[str, Any], Lookups], EventEnvelope]
# Completes a page of rows before mapping (e.g. a document's remaining positions); gets the SyncContext.
Prepare = Callable[[Any, "EntitySpec", list[dict[str, Any]]], Awaitable[None]]
# Splits a page into parts prepared, mapped and published one after another (in page order), to bound memory.
Split = Callable[[list[dict[str, Any]]], Iterable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class EntitySpec:
    type: str
    mapper: Mapper
    deleted_event: str
    # Extra query parameters; `expand`/`fields` need limit ≤ 100 (docs/moysklad.md, "Collections").
    params: dict[str, str] = field(default_factory=dict)
    max_limit: int = 1000
    # Reference entities hide archived rows by default, documents hide trashed ones: list both (docs/moysklad.md,
    # "Collections" and "Sync strategy").
    flags: tuple[str, ...] = ("archived=true", "archived=false")
    # Cursor, progress and counts key; the type unless one type is paged in two ways (live and trashed documents).
    key: str = ""
    prepare: Prepare | None = None
    split: Split | None = None

    @property
    def path(self) -> str:
        return f"entity/{self.type}"

    @property
    def name(self) -> str:
        return self.key or self.type


CATALOG: tuple[EntitySpec, ...] = (
    EntitySpec("productfolder", catalog.map_folder, "folder.deleted"),
    EntitySpec("product", catalog.map_product, "product.deleted"),
    EntitySpec("service", catalog.map_product, "product.deleted"),
    EntitySpec("bundle", catalog.map_product, "product.deleted", params={"expand": "components"}, max_limit=100),
    EntitySpec("variant", catalog.map_variant, "variant.deleted"),
)
PARTIES: tuple[EntitySpec, ...] = (
    EntitySpec("store", parties.map_store, "store.deleted"),
    EntitySpec("organization", parties.map_organization, "organization.deleted"),
    EntitySpec("counterparty", parties.map_counterparty, "counterparty.deleted"),
)


def _document_specs(doc_type: str) -> tuple[EntitySpec, EntitySpec]:
    """Live documents with every position (and cost, where it is the document's), and trashed ones as deletes."""
    deleted = documents.event_type(doc_type, "deleted")
    params = {"expand": "positions,state"}
    if doc_type in documents.COST_AT_MOMENT:
        params["fields"] = "stock"  # one `fields` value per request, limit ≤ 100 (docs/moysklad.md, "Collections")
    live = EntitySpec(
        doc_type,
        documents.map_document,
        deleted,
        params=params,
        max_limit=100,
        flags=("isDeleted=false",),
        prepare=complete_documents,
        split=document_parts,
    )
    trashed = EntitySpec(
        doc_type, documents.map_trashed_document, deleted, flags=("isDeleted=true",), key=f"{doc_type}.trash"
    )
    return live, trashed


DOCUMENTS: tuple[EntitySpec, ...] = tuple(spec for t in documents.DOCUMENT_KINDS for spec in _document_specs(t))

SPECS: dict[str, EntitySpec] = {spec.name: spec for spec in (*CATALOG, *PARTIES, *DOCUMENTS)}
DOCUMENT_TYPES = frozenset(documents.DOCUMENT_KINDS)
# Kinds with a delete event: the ones the ledger keeps and reconciliation can delete (``product`` for product,
# service and bundle).
LEDGER_KINDS = frozenset(spec.deleted_event.removesuffix(".deleted") for spec in SPECS.values())

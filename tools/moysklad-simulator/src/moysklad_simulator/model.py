"""Internal building blocks of stored records and how references turn into MoySklad ``meta``.

Records are plain dicts in MoySklad field order. References are kept as :class:`Ref` values (not as
rendered meta) so that filters compare ids and hrefs can be rendered against whatever base URL the
client used. Keys starting with ``_`` are internal and never rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

CANONICAL_BASE = "https://api.moysklad.ru/api/remap/1.2"
UI_BASE = "https://online.moysklad.ru/app/#"
MEDIA_TYPE = "application/json"

# The web UI type names used in uuidHref (docs/moysklad.md, "Identifiers").
UI_TYPES = {
    "product": "good",
    "service": "good",
    "bundle": "good",
    "productfolder": "good",
    "variant": "feature",
    "counterparty": "company",
    "organization": "mycompany",
    "store": "warehouse",
}
# Types whose uuidHref id differs from the API id (docs/moysklad.md, "Identifiers").
UI_ID_TYPES = frozenset({"product", "service", "bundle", "variant"})
# Types that are addressed outside /entity/{type}/{id} and carry no metadataHref/uuidHref.
NO_METADATA_TYPES = frozenset({"pricetype", "state", "attributemetadata", "audit", "auditevent"})


class Ref(NamedTuple):
    """A reference to another object; ``path`` overrides the default ``entity/{type}/{id}``."""

    type: str
    id: str
    path: str | None = None

    def href_path(self) -> str:
        if self.path is not None:
            return self.path
        if self.type == "pricetype":
            return f"context/companysettings/pricetype/{self.id}"
        return f"entity/{self.type}/{self.id}"


@dataclass(frozen=True)
class Inline:
    """A reference rendered as ``{"meta": …, **fields}`` (e.g. ``priceType``, characteristics)."""

    ref: Ref
    fields: dict[str, Any]


@dataclass
class Collection:
    """A nested MetaArray (``positions``, ``components``): meta with size, rows only when expanded."""

    path: str
    type: str
    rows: Sequence[Any] | Callable[[], Sequence[Any]] = field(default_factory=list)

    def materialize(self) -> Sequence[Any]:
        return self.rows() if callable(self.rows) else self.rows


def entity_meta(ref: Ref, ui_id: str | None = None) -> dict[str, Any]:
    """The ``meta`` object of an entity or of a reference to it."""
    meta: dict[str, Any] = {"href": f"{CANONICAL_BASE}/{ref.href_path()}"}
    if ref.type not in NO_METADATA_TYPES and ref.path is None:
        meta["metadataHref"] = f"{CANONICAL_BASE}/entity/{ref.type}/metadata"
    meta["type"] = ref.type
    meta["mediaType"] = MEDIA_TYPE
    if ref.type not in NO_METADATA_TYPES and ref.path is None:
        ui_type = UI_TYPES.get(ref.type, ref.type)
        meta["uuidHref"] = f"{UI_BASE}{ui_type}/edit?id={ui_id or ref.id}"
    return meta


def id_from_href(href: str) -> str:
    """The last path element of an href (``…/entity/product/<id>`` → ``<id>``)."""
    return href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def employee_context() -> dict[str, Any]:
    """The ``context`` block of every list response."""
    return {
        "employee": {
            "meta": {
                "href": f"{CANONICAL_BASE}/context/employee",
                "metadataHref": f"{CANONICAL_BASE}/entity/employee/metadata",
                "type": "employee",
                "mediaType": MEDIA_TYPE,
            }
        }
    }

"""The product catalog: sections as folders (``catalog.folders.v1``) and products (``catalog.products.v1``).

``crm.productsection.list`` and ``crm.product.list`` (docs/bitrix24.md, "Product catalog"): a section is
``section-<ID>`` with its parent ``section-<SECTION_ID>``; a product is ``product-<ID>`` in its section's folder,
with ``PRICE`` in ``CURRENCY_ID`` as its one sale price (the portal's base price), its VAT rate from ``crm.vat.list``
by ``VAT_ID`` and archived when ``ACTIVE`` is not ``Y``. A product's stamp is ``TIMESTAMP_X`` (products have no
``DATE_MODIFY``); sections have none, so they are versioned by when the connector saw them change. Units
(``MEASURE``) are ids of a list the ``crm`` scope cannot read, so ``uom`` stays empty.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bitrix24_connector.mapping.common import Unmappable, decimal_of, envelope, parse_time, require, version
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Folder, Price, Product, ProductKind

PRODUCT_FIELDS = (
    "ID",
    "NAME",
    "ACTIVE",
    "PRICE",
    "CURRENCY_ID",
    "VAT_ID",
    "VAT_INCLUDED",
    "SECTION_ID",
    "XML_ID",
    "DESCRIPTION",
    "TIMESTAMP_X",
)
BASE_PRICE = "BASE"  # the price type crm.product.* reads and writes
BASE_PRICE_NAME = "Базовая цена"
# VAT_INCLUDED=N: PRICE is before VAT. The amount stays exact as Bitrix24 states it; the price type says so.
NET_PRICE_NAME = "Базовая цена без НДС"


def product_id(value: Any) -> str | None:
    """The canonical id of a catalog product (deal rows use it too); None for "no product" (0 or empty)."""
    return None if value in (None, "", 0, "0") else f"product-{value}"


def section_id(value: Any) -> str | None:
    return None if value in (None, "", 0, "0") else f"section-{value}"


def vat_rates(listed: list[dict[str, Any]]) -> dict[str, Decimal | None]:
    """``crm.vat.list`` as ``{ID: rate}``; "no VAT" has no rate (``RATE: null``)."""
    rates: dict[str, Decimal | None] = {}
    for rate in listed:
        raw = rate.get("RATE")
        rates[require(rate, "ID")] = None if raw in (None, "") else decimal_of(raw, "RATE")
    return rates


def _vat(record: dict[str, Any], rates: dict[str, Decimal | None]) -> Decimal | None:
    vat_id = record.get("VAT_ID")
    if vat_id in (None, ""):
        return None
    if str(vat_id) not in rates:
        raise Unmappable(f"VAT_ID {vat_id!r} is not a rate of crm.vat.list")
    return rates[str(vat_id)]


def _prices(record: dict[str, Any], vat: Decimal | None) -> list[Price]:
    if record.get("PRICE") in (None, ""):
        return []
    currency = str(record.get("CURRENCY_ID") or "").strip()
    if len(currency) != 3:
        raise Unmappable(f"CURRENCY_ID {currency!r} is not a currency code")
    net = record.get("VAT_INCLUDED") == "N" and bool(vat)
    return [
        Price(
            price_type=NET_PRICE_NAME if net else BASE_PRICE_NAME,
            price_type_id=BASE_PRICE,
            amount=decimal_of(record["PRICE"], "PRICE"),
            currency=currency,
        )
    ]


def map_product(record: dict[str, Any], portal: str, rates: dict[str, Decimal | None]) -> EventEnvelope:
    entity_id = f"product-{require(record, 'ID')}"
    name = str(record.get("NAME") or "").strip()
    if not name:
        raise Unmappable("the product has no NAME")
    if record.get("ACTIVE") not in ("Y", "N"):
        raise Unmappable(f"ACTIVE {record.get('ACTIVE')!r} is not Y or N")
    updated = parse_time(record.get("TIMESTAMP_X"), "TIMESTAMP_X")
    vat = _vat(record, rates)
    product = Product(
        id=entity_id,
        kind=ProductKind.PRODUCT,
        name=name,
        external_code=str(record.get("XML_ID") or "").strip() or None,
        description=str(record.get("DESCRIPTION") or "").strip() or None,
        folder_id=section_id(record.get("SECTION_ID")),
        sale_prices=_prices(record, vat),
        vat_percent=vat,
        vat_enabled=vat is not None,
        archived=record["ACTIVE"] != "Y",
        updated_at=updated,
    )
    return envelope("product.upserted", portal, entity_id, version(updated, record, vat), product, updated)


def section_paths(sections: list[dict[str, Any]]) -> dict[str, str]:
    """Each section's ancestors' names joined by ``/`` (empty at the root); a cycle or a missing parent is refused."""
    by_id = {str(s.get("ID")): s for s in sections}
    paths: dict[str, str] = {}
    for key in by_id:
        names: list[str] = []
        parent = by_id[key].get("SECTION_ID")
        while parent not in (None, "", 0, "0"):
            above = by_id.get(str(parent))
            if above is None:
                raise Unmappable(f"section {key} is inside section {parent}, which is not listed")
            if len(names) > len(by_id):
                raise Unmappable(f"section {key} is inside itself")
            names.append(str(above.get("NAME") or "").strip())
            parent = above.get("SECTION_ID")
        paths[key] = "/".join(reversed(names))
    return paths


def map_section(section: dict[str, Any], portal: str, path: str, seen_at: datetime, digest: str) -> EventEnvelope:
    """A section as a folder; versioned by when the connector first saw this content (sections carry no stamp)."""
    entity_id = f"section-{require(section, 'ID')}"
    name = str(section.get("NAME") or "").strip()
    if not name:
        raise Unmappable("the section has no NAME")
    folder = Folder(
        id=entity_id,
        name=name,
        external_code=str(section.get("XML_ID") or "").strip() or None,
        parent_id=section_id(section.get("SECTION_ID")),
        path=path,
        updated_at=seen_at,
    )
    return envelope("folder.upserted", portal, entity_id, version(seen_at, digest), folder, seen_at)

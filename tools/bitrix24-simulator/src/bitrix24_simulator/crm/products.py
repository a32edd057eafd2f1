"""The CRM product catalog: ``crm.product.add/update/delete``, ``crm.productsection.*`` and ``crm.vat.list``.

``crm.product.get/list/fields`` and ``crm.productsection.get/list/fields`` are the generic entity methods
(crm/entities.py); this module adds the writes, their checks and their events (docs/bitrix24.md, "Product catalog").
A product's modification stamp is ``TIMESTAMP_X`` (there is no ``DATE_MODIFY``;
https://apidocs.bitrix24.com/api-reference/crm/outdated/products/crm-product-fields.html); a section has no stamp at
all (https://apidocs.bitrix24.com/api-reference/crm/outdated/product-section/crm-product-section-fields.html).
Events: ``ONCRMPRODUCTADD/UPDATE/DELETE`` and ``ONCRMPRODUCTSECTIONADD/UPDATE/DELETE``, each with ``FIELDS[ID]``
(https://apidocs.bitrix24.com/api-reference/crm/outdated/products/events-custom/index.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bitrix24_simulator.crm import entities
from bitrix24_simulator.crm.listing import Page, list_records
from bitrix24_simulator.errors import method_error
from bitrix24_simulator.store import Portal

# ``crm.vat.list``: the simulator's rates (its choice, docs/bitrix24.md "Product catalog"); "no VAT" has no rate
# (https://apidocs.bitrix24.com/api-reference/crm/outdated/vat/crm-vat-list.html).
_RATES = (("1", "Без НДС", None), ("2", "НДС 0%", "0.00"), ("3", "НДС 10%", "10.00"), ("4", "НДС 20%", "20.00"))
VAT_RATES: tuple[dict[str, Any], ...] = tuple(
    {"ID": i, "TIMESTAMP_X": "2024-01-10T10:00:00+03:00", "ACTIVE": "Y", "C_SORT": f"{i}00", "NAME": name, "RATE": rate}
    for i, name, rate in _RATES
)
VAT_BY_RATE = {None: "1", 0: "2", 10: "3", 20: "4"}

PRODUCT = entities.ENTITIES["product"]
SECTION = entities.ENTITIES["productsection"]


def vat_list(portal: Portal, params: dict[str, Any]) -> Page:
    return list_records([dict(rate) for rate in VAT_RATES], params)


def _check_product(portal: Portal, fields: dict[str, Any], *, adding: bool) -> None:
    if (adding or "NAME" in fields) and not str(fields.get("NAME") or "").strip():
        raise method_error("Required fields are not filled: NAME.")
    section = fields.get("SECTION_ID")
    if section not in (None, "", "0", 0) and portal.get("productsection", section) is None:
        raise method_error(f"Section with ID {section} is not found.")
    if "VAT_ID" in fields and fields["VAT_ID"] not in (None, "") and str(fields["VAT_ID"]) not in _vat_ids():
        raise method_error(f"VAT rate with ID {fields['VAT_ID']} is not found.")
    currency = fields.get("CURRENCY_ID")
    if currency is not None and (not isinstance(currency, str) or len(currency) != 3):
        raise method_error(f"Currency {currency!r} is not found.")
    if "ACTIVE" in fields and fields["ACTIVE"] not in ("Y", "N"):
        raise method_error("ACTIVE must be Y or N.")


def _vat_ids() -> set[str]:
    return {rate["ID"] for rate in VAT_RATES}


def product_add(portal: Portal, params: dict[str, Any]) -> int:
    fields = entities.fields_param(params)
    _check_product(portal, fields, adding=True)
    return entities.add(portal, PRODUCT, {"fields": fields})


def product_update(portal: Portal, params: dict[str, Any]) -> bool:
    fields = entities.fields_param(params)
    _check_product(portal, fields, adding=False)
    return entities.update(portal, PRODUCT, params)


def product_delete(portal: Portal, params: dict[str, Any]) -> bool:
    # Deal rows keep PRODUCT_ID and their own name and price: a row is a copy made when the deal was priced.
    return entities.delete(portal, PRODUCT, params)


def _check_section(portal: Portal, fields: dict[str, Any], own_id: int | None) -> None:
    if (own_id is None or "NAME" in fields) and not str(fields.get("NAME") or "").strip():
        raise method_error("Required fields are not filled: NAME.")
    parent = fields.get("SECTION_ID")
    seen: set[int] = set()
    while parent not in (None, "", "0", 0):
        record = portal.get("productsection", parent)
        if record is None:
            raise method_error(f"Section with ID {parent} is not found.")
        if (own_id is not None and int(record["ID"]) == own_id) or int(record["ID"]) in seen:
            raise method_error("A section cannot be placed inside itself.")
        seen.add(int(record["ID"]))
        parent = record.get("SECTION_ID")


def section_add(portal: Portal, params: dict[str, Any]) -> int:
    fields = entities.fields_param(params)
    _check_section(portal, fields, None)
    return entities.add(portal, SECTION, {"fields": fields})


def section_update(portal: Portal, params: dict[str, Any]) -> bool:
    fields = entities.fields_param(params)
    _check_section(portal, fields, entities.record_id(params))
    return entities.update(portal, SECTION, params)


def section_delete(portal: Portal, params: dict[str, Any]) -> bool:
    """Refused while products or sections are inside (not documented; the simulator's choice, docs/bitrix24.md)."""
    target = str(entities.record_id(params))
    inside = [p for p in portal.records("product") if str(p.get("SECTION_ID") or "") == target]
    below = [s for s in portal.records("productsection") if str(s.get("SECTION_ID") or "") == target]
    if portal.get("productsection", target) is not None and (inside or below):
        raise method_error(f"Section {target} is not empty: move or delete its products and sections first.")
    return entities.delete(portal, SECTION, params)


Write = Callable[[Portal, dict[str, Any]], Any]
WRITES: dict[str, Write] = {
    "crm.product.add": product_add,
    "crm.product.update": product_update,
    "crm.product.delete": product_delete,
    "crm.productsection.add": section_add,
    "crm.productsection.update": section_update,
    "crm.productsection.delete": section_delete,
}

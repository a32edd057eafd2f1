"""productfolder, product, service, bundle and variant → ``folder.*``, ``product.*``, ``variant.*`` events."""

from __future__ import annotations

from typing import Any

from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from moysklad_connector.mapping.common import (
    Unmappable,
    build_event,
    decimal,
    empty_to_none,
    optional_decimal,
    parse_moment,
    ref_id,
    ref_type,
    required,
    roubles,
    validated,
)
from moysklad_connector.mapping.lookups import Lookups

PRODUCT_KINDS = {"product": m.ProductKind.PRODUCT, "service": m.ProductKind.SERVICE, "bundle": m.ProductKind.BUNDLE}
ASSORTMENT_KINDS = {kind.value: kind for kind in m.AssortmentKind}


def map_folder(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    payload = validated(
        m.Folder,
        id=required(obj, "id"),
        name=required(obj, "name"),
        code=empty_to_none(obj.get("code")),
        external_code=empty_to_none(obj.get("externalCode")),
        parent_id=ref_id(obj.get("productFolder")),
        path=obj.get("pathName") or "",
        archived=bool(obj.get("archived", False)),
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event("folder.upserted", obj, payload)


def barcodes(obj: dict[str, Any]) -> list[str]:
    """``[{"ean13": "…"}, {"code128": "…"}]`` → the codes, in order (docs/moysklad.md, "Entity details")."""
    codes: list[str] = []
    for item in obj.get("barcodes") or []:
        if isinstance(item, dict):
            codes += [str(v) for v in item.values() if isinstance(v, str | int)]
    return codes


def sale_prices(obj: dict[str, Any], lookups: Lookups) -> list[m.Price]:
    prices: list[m.Price] = []
    for item in obj.get("salePrices") or []:
        price_type = item.get("priceType") or {}
        prices.append(
            m.Price(
                price_type=str(price_type.get("name") or "Цена продажи"),
                price_type_id=ref_id(price_type),
                amount=roubles(required(item, "value")),
                currency=lookups.currency(item.get("currency")),
            )
        )
    return prices


def money(value: Any, lookups: Lookups) -> m.Money | None:
    """``{"value": kopecks, "currency": {meta}}`` → Money in roubles; absent → None."""
    if not isinstance(value, dict) or value.get("value") is None:
        return None
    return m.Money(amount=roubles(value["value"]), currency=lookups.currency(value.get("currency")))


def components(obj: dict[str, Any]) -> list[m.BundleComponent]:
    """Bundle components; needs ``expand=components`` (the rows are absent otherwise)."""
    raw = obj.get("components") or {}
    rows = raw.get("rows") if isinstance(raw, dict) else raw
    if rows is None:
        if isinstance(raw, dict) and (raw.get("meta") or {}).get("size", 0):
            raise Unmappable("bundle components were not expanded")
        return []
    out: list[m.BundleComponent] = []
    for row in rows:
        assortment = row.get("assortment")
        kind = ASSORTMENT_KINDS.get(ref_type(assortment) or "")
        assortment_id = ref_id(assortment)
        if kind is None or assortment_id is None:
            raise Unmappable(f"bundle component without a product/variant/service reference: {row!r}"[:300])
        out.append(
            m.BundleComponent(
                assortment_id=assortment_id, assortment_kind=kind, quantity=decimal(row.get("quantity", 1))
            )
        )
    return out


def map_product(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    kind = PRODUCT_KINDS.get(ref_type(obj) or "")
    if kind is None:
        raise Unmappable(f"not a product, service or bundle: meta.type={ref_type(obj)!r}")
    payload = validated(
        m.Product,
        id=required(obj, "id"),
        kind=kind,
        name=required(obj, "name"),
        code=empty_to_none(obj.get("code")),
        article=empty_to_none(obj.get("article")),
        external_code=empty_to_none(obj.get("externalCode")),
        description=empty_to_none(obj.get("description")),
        folder_id=ref_id(obj.get("productFolder")),
        uom=lookups.uom_name(obj.get("uom")),
        barcodes=barcodes(obj),
        sale_prices=sale_prices(obj, lookups),
        buy_price=money(obj.get("buyPrice"), lookups),
        min_price=money(obj.get("minPrice"), lookups),
        vat_percent=optional_decimal(obj.get("vat", obj.get("effectiveVat"))),
        vat_enabled=bool(obj.get("vatEnabled", obj.get("effectiveVatEnabled", False))),
        minimum_stock=_minimum_stock(obj),
        archived=bool(obj.get("archived", False)),
        weight=optional_decimal(obj.get("weight")),
        volume=optional_decimal(obj.get("volume")),
        components=components(obj) if kind is m.ProductKind.BUNDLE else [],
        updated_at=parse_moment(required(obj, "updated")),
    )
    return build_event("product.upserted", obj, payload)


def _minimum_stock(obj: dict[str, Any]) -> Any:
    """``minimumStock`` (with ``fields=minimumStock``) wins over the older ``minimumBalance``."""
    minimum = obj.get("minimumStock")
    if isinstance(minimum, dict) and minimum.get("quantity") is not None:
        return decimal(minimum["quantity"])
    return optional_decimal(obj.get("minimumBalance"))


def map_variant(obj: dict[str, Any], lookups: Lookups) -> EventEnvelope:
    product_id = ref_id(obj.get("product"))
    if product_id is None:
        raise Unmappable("variant without its product")
    characteristics = {
        str(c.get("name")): str(c.get("value")) for c in obj.get("characteristics") or [] if isinstance(c, dict)
    }
    payload = validated(
        m.Variant,
        id=required(obj, "id"),
        product_id=product_id,
        name=required(obj, "name"),
        code=empty_to_none(obj.get("code")),
        article=empty_to_none(obj.get("article")),
        external_code=empty_to_none(obj.get("externalCode")),
        characteristics=characteristics,
        barcodes=barcodes(obj),
        sale_prices=sale_prices(obj, lookups),
        buy_price=money(obj.get("buyPrice"), lookups),
        min_price=money(obj.get("minPrice"), lookups),
        archived=bool(obj.get("archived", False)),
        updated_at=parse_moment(required(obj, "updated")),
    )
    lookups.variant_products[payload.id] = product_id  # type: ignore[attr-defined]
    return build_event("variant.upserted", obj, payload)

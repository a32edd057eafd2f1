"""Generate the catalogue: folder tree, products with variants, services and bundles."""

from __future__ import annotations

import itertools
from typing import Any

from moysklad_simulator.data import names
from moysklad_simulator.data.common import ean13, kopecks, past_updated, record, shop_price
from moysklad_simulator.data.parties import price_type_inline
from moysklad_simulator.model import Collection, Inline, Ref
from moysklad_simulator.store import SimulatorState

ARCHIVED_SHARE = 0.05
VARIANT_SHARE = 0.6


def generate_catalog(state: SimulatorState, products: int) -> None:
    folders = _folders(state)
    uoms = {r["name"]: r["_ref"] for r in state.records("uom")}
    suppliers = [r["_ref"] for r in state.records("counterparty") if "поставщики" in r.get("tags", ())]
    for axis in names.AXIS_VALUES:
        state.characteristics[axis] = state.ids.uuid()
    for number in range(1, products + 1):
        leaf = state.rng.choice(names.LEAVES)
        product = _product(state, number, leaf, folders[leaf.path], uoms[leaf.uom], suppliers)
        if leaf.axes and state.rng.random() < VARIANT_SHARE:
            _variants(state, product, leaf)
    _services(state, uoms["шт"])
    _bundles(state, max(3, products // 50), uoms["шт"])


def _folders(state: SimulatorState) -> dict[str, dict[str, Any]]:
    """Create each folder of every leaf path once, parents first; returns folders by full path."""
    by_path: dict[str, dict[str, Any]] = {}
    for leaf in names.LEAVES:
        parts = leaf.path.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if path in by_path:
                continue
            parent = by_path.get("/".join(parts[: depth - 1]))
            fields: dict[str, Any] = {
                "name": parts[depth - 1],
                "code": f"F{len(by_path) + 1:03d}",
                "externalCode": state.ids.external_code(),
                "archived": False,
                "pathName": "/".join(parts[: depth - 1]),
            }
            if parent is not None:
                fields["productFolder"] = parent["_ref"]
            fields.update(useParentVat=True, effectiveVat=leaf.vat, effectiveVatEnabled=True)
            by_path[path] = state.add("productfolder", record(state, "productfolder", past_updated(state), **fields))
    return by_path


def money(state: SimulatorState, kop: float) -> dict[str, Any]:
    return {"value": kop, "currency": Ref("currency", state.currency_id)}


def sale_prices(state: SimulatorState, kop: float) -> list[dict[str, Any]]:
    """One price per price type: retail, then wholesale at about 85 %."""
    values = (kop, float(round(kop * 0.85)))
    return [
        {"value": value, "currency": Ref("currency", state.currency_id), "priceType": price_type_inline(pt)}
        for value, pt in zip(values, state.price_types, strict=True)
    ]


def _vat(vat: int) -> dict[str, Any]:
    return {"useParentVat": False, "vat": vat, "vatEnabled": True, "effectiveVat": vat, "effectiveVatEnabled": True}


def _product(
    state: SimulatorState, number: int, leaf: names.Leaf, folder: dict[str, Any], uom: Ref, suppliers: list[Ref]
) -> dict[str, Any]:
    rng = state.rng
    brand = rng.choice(leaf.brands)
    model = f"{rng.choice(names.MODEL_SUFFIXES)} {rng.randrange(100, 999)}"
    name = f"{rng.choice(leaf.goods)} {brand} {model}"
    price = kopecks(shop_price(rng, *leaf.price))
    buy = float(round(price * rng.uniform(0.5, 0.72)))
    fields: dict[str, Any] = {
        "name": name,
        "code": f"{number:05d}",
        "externalCode": state.ids.external_code(),
        "archived": rng.random() < ARCHIVED_SHARE,
        "pathName": leaf.path,
        "productFolder": folder["_ref"],
        **_vat(leaf.vat),
        "uom": uom,
        "minPrice": money(state, float(round(buy * 1.05))),
        "salePrices": sale_prices(state, price),
        "buyPrice": money(state, buy),
        "barcodes": [{"ean13": ean13(rng)}],
    }
    if suppliers:
        fields["supplier"] = rng.choice(suppliers)
    fields.update(
        paymentItemType="GOOD",
        discountProhibited=False,
        article=f"{_letters(brand)}-{rng.randrange(1000, 99999)}",
        weight=round(rng.uniform(0.1, 8.0), 2),
        volume=round(rng.uniform(0.001, 0.05), 3),
        variantsCount=0,
        isSerialTrackable=False,
        trackingType="NOT_TRACKED",
        minimumBalance=float(rng.choice((0, 0, 2, 5, 10))),
    )
    if leaf.uom == "кг":
        fields["weighed"] = True
    return state.add("product", record(state, "product", past_updated(state), _ui=state.ids.uuid(), **fields))


def _letters(brand: str) -> str:
    latin = "".join(ch for ch in brand.upper() if "A" <= ch <= "Z")
    return (latin or "RU")[:3]


def _variants(state: SimulatorState, product: dict[str, Any], leaf: names.Leaf) -> None:
    rng = state.rng
    axes = [rng.sample(names.AXIS_VALUES[axis], rng.randrange(2, 4)) for axis in leaf.axes]
    base = product["salePrices"][0]["value"]
    for number, combo in enumerate(itertools.product(*axes), start=1):
        characteristics = [
            Inline(
                Ref(
                    "attributemetadata",
                    state.characteristics[axis],
                    f"entity/variant/metadata/characteristics/{state.characteristics[axis]}",
                ),
                {"id": state.characteristics[axis], "name": axis, "value": value},
            )
            for axis, value in zip(leaf.axes, combo, strict=True)
        ]
        price = base + (kopecks(200) if "XXL" in combo else 0.0)
        state.add(
            "variant",
            record(
                state,
                "variant",
                past_updated(state),
                _ui=state.ids.uuid(),
                owned=False,
                name=f"{product['name']} ({', '.join(combo)})",
                code=f"{product['code']}-{number}",
                externalCode=state.ids.external_code(),
                archived=product["archived"],
                characteristics=characteristics,
                salePrices=sale_prices(state, price),
                buyPrice=dict(product["buyPrice"]),
                barcodes=[{"ean13": ean13(rng)}],
                discountProhibited=False,
                product=product["_ref"],
            ),
        )
        product["variantsCount"] += 1


def _services(state: SimulatorState, uom: Ref) -> None:
    for number, (name, roubles) in enumerate(names.SERVICES, start=1):
        price = kopecks(roubles)
        state.add(
            "service",
            record(
                state,
                "service",
                past_updated(state),
                _ui=state.ids.uuid(),
                name=name,
                code=f"S{number:04d}",
                externalCode=state.ids.external_code(),
                archived=number == len(names.SERVICES),
                pathName="",
                **_vat(20),
                uom=uom,
                minPrice=money(state, 0.0),
                salePrices=sale_prices(state, price),
                buyPrice=money(state, 0.0),
                paymentItemType="SERVICE",
                discountProhibited=False,
            ),
        )


def _bundles(state: SimulatorState, count: int, uom: Ref) -> None:
    rng = state.rng
    goods = [p for p in state.records("product") if not p["archived"]]
    for number in range(1, count + 1):
        bundle_id = state.ids.uuid()
        parts = rng.sample(goods, min(len(goods), rng.randrange(2, 4)))
        components = [
            {
                "_ref": Ref("bundlecomponent", cid, f"entity/bundle/{bundle_id}/components/{cid}"),
                "id": cid,
                "accountId": state.account_id,
                "assortment": part["_ref"],
                "quantity": 1.0,
            }
            for part in parts
            for cid in (state.ids.uuid(),)
        ]
        price = float(round(sum(p["salePrices"][0]["value"] for p in parts) * 0.9))
        state.add(
            "bundle",
            record(
                state,
                "bundle",
                past_updated(state),
                id=bundle_id,
                _ui=state.ids.uuid(),
                name=f"Набор «{rng.choice(names.BUNDLE_NAMES)}» №{number}",
                code=f"B{number:04d}",
                externalCode=state.ids.external_code(),
                archived=False,
                pathName=parts[0]["pathName"],
                productFolder=parts[0]["productFolder"],
                **_vat(20),
                uom=uom,
                salePrices=sale_prices(state, price),
                barcodes=[{"ean13": ean13(rng)}],
                paymentItemType="GOOD",
                discountProhibited=False,
                article=f"SET-{number:03d}",
                weight=0.0,
                volume=0.0,
                trackingType="NOT_TRACKED",
                components=Collection(f"entity/bundle/{bundle_id}/components", "bundlecomponent", components),
                overhead=money(state, 0.0),
            ),
        )

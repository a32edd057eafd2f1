"""The generated shop: deterministic, fast, believable."""

from __future__ import annotations

from moysklad_simulator import SimulatorState, generate
from moysklad_simulator.model import Ref

from ..conftest import make_settings


def _ean_ok(code: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return len(code) == 13 and (10 - total % 10) % 10 == int(code[12])


def test_same_seed_gives_same_shop() -> None:
    first = generate(make_settings(seed=5))
    second = generate(make_settings(seed=5))
    assert [p["name"] for p in first.records("product")] == [p["name"] for p in second.records("product")]
    assert [p["id"] for p in first.records("product")] == [p["id"] for p in second.records("product")]


def test_other_seed_gives_other_shop() -> None:
    assert (
        generate(make_settings(seed=5)).records("product")[0]["id"]
        != generate(make_settings(seed=6)).records("product")[0]["id"]
    )


def test_demo_scale_has_a_demo_shops_size() -> None:
    # How fast it generates is a benchmark's question (bench/), not a test's.
    state = generate(make_settings(scale="demo"))
    assert 150 <= len(state.records("product")) <= 250


def test_barcodes_are_valid_ean13(state: SimulatorState) -> None:
    codes = [b["ean13"] for p in state.records("product") for b in p["barcodes"]]
    assert codes
    assert all(_ean_ok(c) for c in codes)


def test_products_sit_in_a_folder_tree(state: SimulatorState) -> None:
    product = state.records("product")[0]
    folder = state.find(product["productFolder"])
    assert folder is not None
    assert product["pathName"] == f"{folder['pathName']}/{folder['name']}".lstrip("/")


def test_catalogue_has_variants_services_bundles_and_archived_items(state: SimulatorState) -> None:
    variants = state.records("variant")
    assert variants
    assert all(isinstance(v["product"], Ref) for v in variants)
    assert {c.fields["name"] for v in variants for c in v["characteristics"]} <= {"Размер", "Цвет"}
    assert state.records("service")
    assert state.records("bundle")
    assert any(p["archived"] for p in state.records("product"))


def test_variants_count_matches_variants(state: SimulatorState) -> None:
    counts: dict[str, int] = {}
    for variant in state.records("variant"):
        counts[variant["product"].id] = counts.get(variant["product"].id, 0) + 1
    assert all(p["variantsCount"] == counts.get(p["id"], 0) for p in state.records("product"))


def test_prices_are_float_kopecks(state: SimulatorState) -> None:
    price = state.records("product")[0]["salePrices"][0]
    assert isinstance(price["value"], float)
    assert price["priceType"].fields["name"] == "Цена продажи"

"""List envelope, paging, filter, order, search and expand over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from moysklad_simulator import SimulatorState


async def test_envelope_has_context_meta_and_rows(client: httpx.AsyncClient) -> None:
    body = (await client.get("/entity/product", params={"limit": 5})).json()
    assert body["context"]["employee"]["meta"]["href"].endswith("/context/employee")
    meta = body["meta"]
    assert (meta["type"], meta["mediaType"], meta["limit"], meta["offset"]) == ("product", "application/json", 5, 0)
    assert len(body["rows"]) == 5
    assert "nextHref" in meta
    assert "previousHref" not in meta


async def test_default_list_leaves_archived_out(client: httpx.AsyncClient, state: SimulatorState) -> None:
    body = (await client.get("/entity/product")).json()
    live = [p for p in state.records("product") if not p["archived"]]
    assert body["meta"]["size"] == len(live)
    assert body["meta"]["limit"] == 1000


async def test_archived_both_values_include_everything(client: httpx.AsyncClient, state: SimulatorState) -> None:
    body = (await client.get("/entity/product", params={"filter": "archived=true;archived=false"})).json()
    assert body["meta"]["size"] == len(state.records("product"))


async def test_paging_links_keep_parameters(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/entity/product", params={"limit": 3, "offset": 6, "order": "name"})).json()["meta"]
    nxt = parse_qs(urlsplit(meta["nextHref"]).query)
    prev = parse_qs(urlsplit(meta["previousHref"]).query)
    assert (nxt["offset"], nxt["limit"], nxt["order"]) == (["9"], ["3"], ["name"])
    assert (prev["offset"], prev["limit"]) == (["3"], ["3"])


async def test_walking_next_href_visits_every_row_once(client: httpx.AsyncClient, state: SimulatorState) -> None:
    seen: list[str] = []
    url: str | None = "/entity/counterparty?limit=7"
    while url:
        body = (await client.get(url)).json()
        seen.extend(row["id"] for row in body["rows"])
        url = body["meta"].get("nextHref")
    expected = [c["id"] for c in state.records("counterparty") if not c["archived"]]
    assert seen == expected


async def test_limit_over_1000_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/product", params={"limit": 1001})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 1002


async def test_updated_range_filter(client: httpx.AsyncClient, state: SimulatorState) -> None:
    since = "2025-10-01 00:00:00"
    body = (
        await client.get(
            "/entity/product",
            params={"filter": f"updated>={since};archived=true;archived=false", "order": "updated,asc;id"},
        )
    ).json()
    expected = sorted(
        (p for p in state.records("product") if p["updated"] >= since), key=lambda p: (p["updated"], p["id"])
    )
    assert [r["id"] for r in body["rows"]] == [p["id"] for p in expected]
    assert all(r["updated"] >= since for r in body["rows"])


async def test_bad_date_gives_1035(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/product", params={"filter": "updated>=yesterday"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 1035


async def test_unknown_filter_field_gives_1034(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/product", params={"filter": "colour=red"})
    assert response.json()["errors"][0]["code"] == 1034


async def test_repeated_id_filter_is_or(client: httpx.AsyncClient, state: SimulatorState) -> None:
    ids = [p["id"] for p in state.records("product") if not p["archived"]][:2]
    body = (await client.get("/entity/product", params={"filter": f"id={ids[0]};id={ids[1]}"})).json()
    assert sorted(r["id"] for r in body["rows"]) == sorted(ids)


async def test_reference_filter_takes_a_full_href(client: httpx.AsyncClient, state: SimulatorState) -> None:
    product = next(p for p in state.records("product") if not p["archived"])
    folder_href = f"http://sim.test/api/remap/1.2/entity/productfolder/{product['productFolder'].id}"
    body = (await client.get("/entity/product", params={"filter": f"productFolder={folder_href}"})).json()
    assert product["id"] in {r["id"] for r in body["rows"]}
    assert {r["productFolder"]["meta"]["href"] for r in body["rows"]} == {folder_href}


async def test_like_operator_is_case_insensitive(client: httpx.AsyncClient) -> None:
    body = (await client.get("/entity/store", params={"filter": "name~МАГАЗИН"})).json()
    assert body["rows"]
    assert all("магазин" in r["name"].lower() for r in body["rows"])


async def test_order_desc_by_name(client: httpx.AsyncClient) -> None:
    rows = (await client.get("/entity/store", params={"order": "name,desc"})).json()["rows"]
    names = [r["name"].casefold() for r in rows]
    assert names == sorted(names, reverse=True)


async def test_unsupported_order_field_gives_1063(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/store", params={"order": "colour"})
    assert response.json()["errors"][0]["code"] == 1063


async def test_search_matches_word_prefixes(client: httpx.AsyncClient, state: SimulatorState) -> None:
    product = next(p for p in state.records("product") if not p["archived"])
    word = product["name"].split()[0][:4]
    rows = (await client.get("/entity/product", params={"search": word})).json()["rows"]
    assert product["id"] in {r["id"] for r in rows}
    assert all(
        any(w.lower().startswith(word.lower()) for w in r["name"].split())
        or r.get("article", "").lower().startswith(word.lower())
        for r in rows
    )


@pytest.mark.parametrize(("limit", "expanded"), [(100, True), (101, False)])
async def test_expand_needs_limit_at_most_100(client: httpx.AsyncClient, limit: int, expanded: bool) -> None:
    row = (await client.get("/entity/product", params={"limit": limit, "expand": "productFolder"})).json()["rows"][0]
    assert ("name" in row["productFolder"]) is expanded


async def test_variant_filter_by_productid(client: httpx.AsyncClient, state: SimulatorState) -> None:
    variant = state.records("variant")[0]
    rows = (
        await client.get(
            "/entity/variant", params={"filter": f"productid={variant['product'].id};archived=true;archived=false"}
        )
    ).json()["rows"]
    assert variant["id"] in {r["id"] for r in rows}
    assert all(r["product"]["meta"]["href"].endswith(variant["product"].id) for r in rows)

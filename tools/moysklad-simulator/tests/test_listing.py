"""List envelope, paging, filter, order, search and expand over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from moysklad_simulator import Settings, SimulatorState, cli, generate
from moysklad_simulator.documents.views import DOC_ORDER_FIELDS, document_specials
from moysklad_simulator.filters import compile_filter, parse_filter
from moysklad_simulator.listing import DEFAULT_ORDER_FIELDS, ListCache, order_keys, parse_query, select
from moysklad_simulator.listing import order as sort_rows

from .conftest import asgi_client, make_settings


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


# --- Cached lists (moysklad_simulator.listing.ListCache) -------------------------------------------------------------

WINDOWS = (
    "",
    "updated>=2025-10-01 00:00:00",
    "updated>2025-10-01 00:00:00",
    "updated<=2025-11-01 12:00:00",
    "updated<2025-11-01 12:00:00",
    "updated>=2025-09-01;updated<2025-12-01 00:00:00",
    "updated>=2031-01-01 00:00:00",
    # bounds equal to a stored stamp (MID: the middle record's `updated`), where >= and > differ
    "updated>=MID",
    "updated>MID",
    "updated<=MID",
    "updated<MID",
)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("order", ["updated,asc;id,asc", "updated,desc;id", "name", None])
@pytest.mark.parametrize(("entity_type", "flags"), [("product", "archived=true;archived=false"), ("demand", "")])
def test_cached_list_equals_a_fresh_one(
    state: SimulatorState, entity_type: str, flags: str, window: str, order: str | None
) -> None:
    """A list from the cache, first filled and then read back (its window bisected), is the list a plain filter of
    every record and a sort give."""
    specials = document_specials(state) if entity_type == "demand" else {}
    defaults = {"isDeleted": "false"} if entity_type == "demand" else {"archived": "false"}
    fields = DOC_ORDER_FIELDS if entity_type == "demand" else DEFAULT_ORDER_FIELDS
    records = state.records(entity_type)
    stamps = sorted(r["updated"] for r in records)
    window = window.replace("MID", stamps[len(stamps) // 2])
    query_filter = ";".join(part for part in (window, flags) if part)
    params = [("filter", query_filter)] + ([("order", order)] if order else [])
    query = parse_query(f"entity/{entity_type}", params)
    # The oracle: every record through the whole filter's predicate, then sorted (no cache, no bisection).
    conditions = parse_filter(query_filter)
    for name, value in defaults.items():
        conditions.setdefault(name, parse_filter(f"{name}={value}")[name])
    predicate = compile_filter(conditions, specials, records)
    fresh = [r for r in records if predicate(r)]
    if order:
        fresh = sort_rows(fresh, order_keys(order, fields))
    cache = ListCache()
    for _ in range(2):  # a miss fills the cache, the second reads it
        cached = select(
            records, query, entity_type, specials=specials, defaults=defaults, order_fields=fields, cache=cache, stamp=1
        )
        assert [r["id"] for r in cached] == [r["id"] for r in fresh]
    assert fresh or window == "updated>=2031-01-01 00:00:00"


async def walk(client: httpx.AsyncClient) -> list[str]:
    """A sync's paging: ``updated>=<last seen>`` ordered by updated and id, the cursor moving page by page."""
    seen: list[str] = []
    since = ""
    while True:
        window = f"updated>={since};" if since else ""
        params = {"filter": f"{window}isDeleted=false", "order": "updated,asc;id,asc", "limit": 25}
        body = (await client.get("/entity/demand", params=params)).json()
        fresh = [r["id"] for r in body["rows"] if r["id"] not in seen]
        if not fresh:
            return seen
        seen.extend(fresh)
        since = body["rows"][-1]["updated"]


async def test_keyset_walk_over_a_cached_list_sees_every_document_once(state: SimulatorState) -> None:
    async with asgi_client(make_settings(list_cache=True), state) as client:
        seen = await walk(client)
    expected = sorted(
        (d for d in state.records("demand") if not d.get("_trashed")), key=lambda d: (d["updated"], d["id"])
    )
    assert seen == [d["id"] for d in expected]


async def test_a_write_request_makes_cached_lists_fresh() -> None:
    """Lists read before a change are not served after it: a removal, a document moved to the bin."""
    settings = make_settings(list_cache=True)
    state = generate(settings)
    async with asgi_client(settings, state) as client:
        everything = {"filter": "archived=true;archived=false", "order": "updated,asc;id,asc"}
        before = (await client.get("/entity/product", params=everything)).json()
        gone = before["rows"][0]["id"]
        removed = await client.delete(f"http://sim.test/__sim/entity/product/{gone}")
        assert removed.status_code == 204
        after = (await client.get("/entity/product", params=everything)).json()
        assert after["meta"]["size"] == before["meta"]["size"] - 1
        assert gone not in {r["id"] for r in after["rows"]}

        live = {"filter": "isDeleted=false", "order": "updated,asc;id,asc", "limit": 100}
        docs = (await client.get("/entity/demand", params=live)).json()
        binned = docs["rows"][-1]["id"]
        assert (await client.post(f"/entity/demand/{binned}/trash")).status_code == 200
        docs_after = (await client.get("/entity/demand", params=live)).json()
        assert docs_after["meta"]["size"] == docs["meta"]["size"] - 1
        assert binned not in {r["id"] for r in docs_after["rows"]}


async def test_without_the_cache_a_record_edited_in_place_is_listed_as_it_is_now(settings: Settings) -> None:
    """In-process (tests), records are edited directly: with the cache off (the default) every list sees them."""
    state = generate(settings)
    async with asgi_client(settings, state) as client:
        first = await walk(client)
        moved = state.records("demand")[3]
        moved["updated"] = "2010-01-01 00:00:00.000"  # now the oldest
        again = await walk(client)
    assert again[0] == moved["id"]
    assert sorted(again) == sorted(first)


def test_the_serve_command_turns_the_cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A served simulator is reachable only through its API, so reusing lists is safe there."""
    seen: list[Settings] = []
    monkeypatch.delenv("MOYSKLAD_SIM_LIST_CACHE", raising=False)
    monkeypatch.setattr(cli, "generate", lambda s: seen.append(s) or generate(make_settings(scale="tiny")))
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: None)
    cli.main(["serve", "--scale", "tiny"])
    assert seen[0].list_cache is True

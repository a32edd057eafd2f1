"""`POST /entity/{doc}/{id}/trash` and the simulator's restore: lists, audit, `updated` and stock as in MoySklad."""

from __future__ import annotations

import httpx

from moysklad_simulator import SimulatorState, generate
from moysklad_simulator.reports import stock_by_item

from ..conftest import asgi_client, make_settings


def _stock(state: SimulatorState, store_id: str, item_id: str) -> float:
    return stock_by_item(state)[item_id][store_id][0]


async def _listed(client: httpx.AsyncClient, doc_id: str, deleted: str) -> bool:
    params = {"filter": f"id={doc_id};isDeleted={deleted}"}
    return bool((await client.get("/entity/retaildemand", params=params)).json()["rows"])


async def test_a_sale_trashed_then_restored_leaves_and_rejoins_the_lists_and_the_stock() -> None:
    settings = make_settings(scale="tiny")
    state = generate(settings)
    doc = next(d for d in state.records("retaildemand") if d["applicable"] and not d.get("_trashed"))
    position = next(p for p in doc["_positions"] if p.assortment.type in ("product", "variant"))
    store, item = doc["store"].id, position.assortment.id
    before, updated, audited = _stock(state, store, item), doc["updated"], len(state.audit)
    async with asgi_client(settings, state) as client:
        trashed = await client.post(f"/entity/retaildemand/{doc['id']}/trash")
        assert trashed.status_code == 200, trashed.text
        assert not await _listed(client, doc["id"], "false")
        assert await _listed(client, doc["id"], "true")
        assert _stock(state, store, item) == before + position.quantity  # the sale no longer takes stock
        assert doc["deleted"] >= updated

        restored = await client.post(f"http://sim.test/__sim/restore/retaildemand/{doc['id']}")
        assert restored.status_code == 204
        assert await _listed(client, doc["id"], "false")
        assert _stock(state, store, item) == before
        assert "deleted" not in doc

        missing = await client.post("/entity/retaildemand/00000000-0000-0000-0000-000000000000/trash")
        assert missing.status_code == 404
    assert doc["updated"] == updated  # neither move touches `updated`
    events = [c.events[0].event_type for c in state.audit[audited:]]
    assert events == ["puttorecyclebin", "restorefromrecyclebin"]

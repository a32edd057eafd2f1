"""What a page of deals needs besides its product rows: each deal's stage history and its responsible person's name.

The history of a page is one ``batch`` of ``crm.stagehistory.list`` calls (``entityTypeId=2``, ``filter[OWNER_ID]``,
ordered by ``ID``; docs/bitrix24.md, "Stage history"), keyed ``h<ID>``; a deal with a full page of 50 moves has the
rest read by the fast path (``filter[>ID]``, ``start=-1``). New history rows of deals already published reach them
through the ``deal.history`` feed (sync/specs.py): the feed names the deals, which are read again with this.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import Any

from bitrix24_connector.client import PAGE, Bitrix24Client
from bitrix24_connector.client.http import BatchAnswer
from bitrix24_connector.sync.users import responsible_names

# A full walk's history, read whole before the walk (``preload``) and handed out page by page; per client, one per job.
_PRELOADED: weakref.WeakKeyDictionary[Bitrix24Client, dict[str, list[dict[str, Any]]]] = weakref.WeakKeyDictionary()

METHOD = "crm.stagehistory.list"
DEALS = 2  # entityTypeId of deals
FIELDS = ("ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_ID", "STAGE_SEMANTIC_ID")


def items_of(result: Any) -> list[dict[str, Any]]:
    """``crm.stagehistory.list`` answers ``{"items": [...]}``, not a bare list (docs/bitrix24.md, "Stage history")."""
    if isinstance(result, dict):
        return list(result.get("items") or [])
    return list(result or [])


def _params(deal_id: str, after: int = 0) -> dict[str, Any]:
    return {
        "entityTypeId": DEALS,
        "filter": {"OWNER_ID": deal_id, ">ID": after},
        "order": {"ID": "ASC"},
        "select": list(FIELDS),
        "start": -1,
    }


async def preload(client: Bitrix24Client) -> None:
    """Before a full walk: the whole history by id windows, 50 windows of 50 ids per ``batch`` (2,500 items per
    request instead of one batch per page of deals). A deal moved after this is read again by the increments."""
    newest = items_of((await client.call(METHOD, {"entityTypeId": DEALS, "order": {"ID": "DESC"}, "start": -1})).result)
    last = int(newest[0]["ID"]) if newest else 0
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for base in range(0, last, PAGE * PAGE):
        windows = {f"w{low}": (METHOD, _window(low)) for low in range(base, min(base + PAGE * PAGE, last), PAGE)}
        answer = _checked(await client.batch(windows))
        for key in sorted(answer.results, key=lambda k: int(k[1:])):
            for item in items_of(answer.results[key]):
                held[str(item["OWNER_ID"])].append(item)
    _PRELOADED[client] = dict(held)


def _window(low: int) -> dict[str, Any]:
    """The items with ``low < ID <= low + 50``: at most one page, whatever the gaps."""
    return {
        "entityTypeId": DEALS,
        "filter": {">ID": low, "<=ID": low + PAGE},
        "order": {"ID": "ASC"},
        "select": list(FIELDS),
        "start": -1,
    }


async def histories_of(client: Bitrix24Client, deal_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every history item of each deal, oldest first (from the walk's preload when there is one)."""
    held = _PRELOADED.get(client, {})
    histories = {deal_id: held.pop(deal_id) for deal_id in deal_ids if deal_id in held}
    missing = [deal_id for deal_id in deal_ids if deal_id not in histories]
    if missing:
        histories |= await _read(client, missing)
    return histories


async def _read(client: Bitrix24Client, deal_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    answer = _checked(await client.batch({f"h{deal_id}": (METHOD, _params(deal_id)) for deal_id in deal_ids}))
    histories = {key[1:]: items_of(result) for key, result in answer.results.items()}
    for deal_id, items in histories.items():
        page = items
        while len(page) == PAGE:
            page = items_of((await client.call(METHOD, _params(deal_id, int(page[-1]["ID"])))).result)
            items.extend(page)
    return histories


def _checked(answer: BatchAnswer) -> BatchAnswer:
    """A history read that failed fails the page: its deals must not go out without their moves."""
    for error in answer.errors.values():
        raise error
    return answer


async def history_and_people(
    client: Bitrix24Client, rows: list[dict[str, Any]]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str | None]]:
    """The page's histories and the names of the people its deals are assigned to."""
    histories = await histories_of(client, [str(row["ID"]) for row in rows]) if rows else {}
    names = await responsible_names(client, (str(row.get("ASSIGNED_BY_ID") or "") for row in rows))
    return histories, names

"""GET /api/v1/products/folders/ and folder events."""

from __future__ import annotations

import httpx
import pytest
from catalog_testkit import apply, assert_model_bytes, deleted_event, folder_event, new_id
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from catalog_service.folders.schemas import FolderTree

pytestmark = pytest.mark.usefixtures("clean")

TREE = "/api/v1/products/folders/"


def _shape(nodes: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(n["name"], n["path"], _shape(n["children"])) for n in nodes]  # type: ignore[arg-type]


async def test_tree_nests_folders_with_paths(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    food, dairy, cheese, tools = new_id(), new_id(), new_id(), new_id()
    # children before parents: the tree does not depend on arrival order
    await apply(
        sessions,
        apply_event,
        folder_event(cheese, 1, "Cheese", dairy),
        folder_event(dairy, 1, "Dairy", food),
        folder_event(food, 1, "Food"),
        folder_event(tools, 1, "Tools"),
    )

    body = (await client.get(TREE)).json()

    assert body["total"] == 4
    assert _shape(body["items"]) == [
        ("Food", "", [("Dairy", "Food", [("Cheese", "Food/Dairy", [])])]),
        ("Tools", "", []),
    ]


async def test_tree_is_what_the_tree_model_writes(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    food, dairy, orphan = new_id(), new_id(), new_id()
    await apply(
        sessions,
        apply_event,
        folder_event(food, 1, 'Еда "свежая"', code="F-1", external_code="ext-f"),
        folder_event(dairy, 2, "Молочное\\", food, archived=True),
        folder_event(orphan, 1, "Сирота", new_id()),  # its parent never arrived: shown as a root
    )

    response = await client.get(TREE)

    assert response.status_code == 200
    assert_model_bytes(FolderTree, response.content)
    assert response.json()["total"] == 3


async def test_renamed_parent_renames_the_paths_below(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    food, dairy = new_id(), new_id()
    await apply(sessions, apply_event, folder_event(food, 1, "Food"), folder_event(dairy, 1, "Dairy", food))
    await apply(sessions, apply_event, folder_event(food, 2, "Groceries"))
    body = (await client.get(TREE)).json()
    assert _shape(body["items"]) == [("Groceries", "", [("Dairy", "Groceries", [])])]


async def test_deleted_folder_leaves_the_tree_and_stale_upsert_is_ignored(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    gone, kept = new_id(), new_id()
    await apply(sessions, apply_event, folder_event(gone, 1, "Gone"), folder_event(kept, 1, "Kept"))
    await apply(sessions, apply_event, deleted_event("folder", gone, 3))
    await apply(sessions, apply_event, folder_event(gone, 2, "Gone again"))
    body = (await client.get(TREE)).json()
    assert _shape(body["items"]) == [("Kept", "", [])]


async def test_a_parent_cycle_in_bad_data_does_not_hang_the_tree(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    a, b = new_id(), new_id()
    await apply(sessions, apply_event, folder_event(a, 1, "A", b), folder_event(b, 1, "B", a))
    response = await client.get(TREE)
    assert response.status_code == 200
    assert response.json()["total"] == 2


async def test_tree_needs_products_read(api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url) as anonymous:
        assert (await anonymous.get(TREE)).status_code == 401

"""Splitting a page of documents so that one document with many positions is held at a time."""

from __future__ import annotations

from typing import Any

import pytest

from moysklad_connector.reading.positions import document_parts


def doc(name: str, size: int, inlined: int) -> dict[str, Any]:
    return {"id": name, "positions": {"meta": {"size": size}, "rows": [{}] * inlined}}


@pytest.mark.parametrize(
    ("page", "parts"),
    [
        ([], []),
        ([doc("a", 3, 3), doc("b", 0, 0)], [["a", "b"]]),
        ([doc("a", 1500, 1000)], [["a"]]),
        (
            [
                doc("a", 2, 2),
                doc("B", 1200, 1000),
                doc("c", 1, 1),
                doc("d", 5, 5),
                doc("E", 9000, 1000),
                doc("F", 1001, 1000),
            ],
            [["a"], ["B"], ["c", "d"], ["E"], ["F"]],
        ),
        # what the mapper reports as unreadable travels with the small ones
        ([{"id": "x"}, doc("y", "many", 0), {"id": "z", "positions": []}], [["x", "y", "z"]]),  # type: ignore[arg-type]
    ],
)
def test_documents_with_more_positions_than_inlined_are_parts_of_their_own_in_page_order(
    page: list[dict[str, Any]], parts: list[list[str]]
) -> None:
    assert [[row["id"] for row in part] for part in document_parts(page)] == parts

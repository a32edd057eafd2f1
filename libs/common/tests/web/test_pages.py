"""The page size every list endpoint serves (``crm_common.web.pages.page_size``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from crm_common.errors import ValidationFailed
from crm_common.web.pages import page_size


@dataclass
class Sizes:
    default_page_size: int = 50
    max_page_size: int = 500


@pytest.mark.parametrize(("limit", "served"), [(None, 50), (1, 1), (50, 50), (499, 499), (500, 500)])
def test_the_limit_asked_for_else_the_services_default(limit: int | None, served: int) -> None:
    assert page_size(limit, Sizes()) == served


@pytest.mark.parametrize("limit", [501, 100_000])
def test_a_limit_beyond_the_services_maximum_is_refused_naming_it(limit: int) -> None:
    with pytest.raises(ValidationFailed, match=r"^limit must be at most 500$"):
        page_size(limit, Sizes())


def test_a_default_beyond_the_maximum_is_refused_too() -> None:
    """A deployment whose default exceeds its maximum gets the same 422, never a page larger than allowed."""
    with pytest.raises(ValidationFailed):
        page_size(None, Sizes(default_page_size=600))

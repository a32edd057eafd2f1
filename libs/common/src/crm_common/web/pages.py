"""One shape for every list endpoint's answer (docs/architecture.md, "API conventions").

``Page[T]`` is the body of a paged list: the items of the window asked for, how many match across all pages, and the
window itself. A service names its page by subclassing (``class ProductPage(Page[ProductItem])``) so that the OpenAPI
document and the console's generated client keep a readable schema name.
"""

from __future__ import annotations

from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from crm_common.errors import ValidationFailed

T = TypeVar("T")

# The farthest a list may be paged: a bound PostgreSQL's OFFSET (bigint) takes and far beyond any real list, so a
# larger number is a 422 naming the parameter, never a database error.
MAX_OFFSET = 1_000_000_000
# Every list endpoint's `offset` parameter: `offset: Offset = 0`, or in a query model (crm_common.web.query)
# `offset: OffsetField = 0`.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many matching items to skip.")]
OffsetField = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="How many matching items to skip.")]


class PageSizes(Protocol):
    """A service's page sizes (its settings): when ``limit`` is not given, and the most it may ask."""

    @property
    def default_page_size(self) -> int: ...

    @property
    def max_page_size(self) -> int: ...


def page_size(limit: int | None, sizes: PageSizes) -> int:
    """The page size a list endpoint serves: ``limit`` if asked, else the service's default; a ``ValidationFailed``
    (422) beyond the service's maximum."""
    size = limit if limit is not None else sizes.default_page_size
    if size > sizes.max_page_size:
        raise ValidationFailed(f"limit must be at most {sizes.max_page_size}")
    return size


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int = Field(description="The most items one page holds (the `limit` asked for).")
    offset: int = Field(description="How many matching items come before this page.")

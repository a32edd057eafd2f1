"""One shape for every list endpoint's answer (docs/architecture.md, "API conventions").

``Page[T]`` is the body of a paged list: the items of the window asked for, how many match across all pages, and the
window itself. A service names its page by subclassing (``class ProductPage(Page[ProductItem])``) so that the OpenAPI
document and the console's generated client keep a readable schema name.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int = Field(description="The most items one page holds (the `limit` asked for).")
    offset: int = Field(description="How many matching items come before this page.")

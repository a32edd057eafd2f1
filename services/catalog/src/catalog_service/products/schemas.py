"""What the products API accepts and returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from catalog_service.money import PriceOut
from crm_common.events.models import AssortmentKind, ProductKind
from crm_common.web.pages import Page
from crm_common.web.types import DecimalStr, MoneyOut


class ProductSort(StrEnum):
    """A field to sort by; a leading `-` sorts descending."""

    NAME = "name"
    NAME_DESC = "-name"
    CODE = "code"
    CODE_DESC = "-code"
    ARTICLE = "article"
    ARTICLE_DESC = "-article"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"
    PRICE = "price"
    PRICE_DESC = "-price"

    @property
    def field(self) -> str:
        return self.value.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True)
class ProductQuery:
    """Filters, order and page of a product listing."""

    kind: ProductKind | None = None
    source: str | None = None
    folder_id: str | None = None
    include_subfolders: bool = True
    archived: bool | None = None
    text: str | None = None
    price_type: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    updated_since: datetime | None = None
    sort: ProductSort = ProductSort.NAME
    limit: int = 50
    offset: int = 0


class ProductItem(BaseModel):
    id: str
    source: str = Field(description="Where the product comes from: `moysklad`, or `bitrix24` for a CRM's catalog.")
    account_id: str
    kind: ProductKind
    name: str
    code: str | None
    article: str | None
    external_code: str | None
    folder_id: str | None
    folder_path: str | None = Field(description="Names from the root folder down to the product's folder, `/`-joined.")
    uom: str | None
    barcodes: list[str]
    sale_prices: list[PriceOut]
    buy_price: MoneyOut | None
    min_price: MoneyOut | None
    vat_percent: DecimalStr | None
    vat_enabled: bool
    minimum_stock: DecimalStr | None
    archived: bool
    updated_at: datetime


class ProductPage(Page[ProductItem]):
    pass


class VariantOut(BaseModel):
    id: str
    name: str
    code: str | None
    article: str | None
    external_code: str | None
    characteristics: dict[str, str]
    barcodes: list[str]
    sale_prices: list[PriceOut]
    buy_price: MoneyOut | None
    min_price: MoneyOut | None
    archived: bool
    updated_at: datetime


class ComponentOut(BaseModel):
    assortment_id: str
    assortment_kind: AssortmentKind
    quantity: DecimalStr
    name: str | None = Field(description="Name of the component if the catalog knows it.")


class ProductDetail(ProductItem):
    description: str | None
    weight: DecimalStr | None
    volume: DecimalStr | None
    variants: list[VariantOut]
    components: list[ComponentOut]

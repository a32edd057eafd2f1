"""What the products API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from catalog_service.money import PriceOut
from crm_common.events.models import AssortmentKind, ProductKind
from crm_common.web.pages import OffsetField, Page
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


class ProductQuery(BaseModel):
    """Filters, order and page of a product listing, read from the query string of `GET /products/` as one model
    (crm_common.web.query; `text` is the `q` parameter). The use case needs `limit`: the route sets it, absent from
    the query, to the service's default page size."""

    model_config = ConfigDict(frozen=True, validate_by_name=True)

    kind: ProductKind | None = Field(default=None, description="product, service or bundle")
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9_-]+$",
        description="Only products of this source: `moysklad` or `bitrix24` (the event envelope's `source`)",
    )
    folder_id: str | None = Field(default=None, min_length=1, max_length=100)
    include_subfolders: bool = Field(default=True, description="With folder_id: also products of subfolders")
    archived: bool | None = Field(default=None, description="Only archived (true) or active (false); all if absent")
    text: str | None = Field(
        default=None, alias="q", min_length=1, max_length=200, description="Text in name/code/article, or a barcode"
    )
    price_type: str | None = Field(default=None, min_length=1, max_length=255)
    price_min: Decimal | None = Field(default=None, ge=0, max_digits=20, decimal_places=4)
    price_max: Decimal | None = Field(default=None, ge=0, max_digits=20, decimal_places=4)
    updated_since: AwareDatetime | None = Field(default=None, description="ISO 8601 with offset")
    sort: ProductSort = ProductSort.NAME
    limit: int | None = Field(default=None, ge=1)
    offset: OffsetField = 0


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

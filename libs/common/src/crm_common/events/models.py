"""Canonical, source-neutral payloads. Version 1 of the contract.

Rules every producer follows (MoySklad, and later Kaspi, Bitrix24, ...):
- ids are the source's stable ids as strings; references are ids, never source links;
- money is a decimal in major units (roubles) with an ISO 4217 currency code; MoySklad's kopecks are divided by 100
  once, in the connector;
- timestamps are timezone-aware UTC;
- quantities are decimals; fractional and negative values are legal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(Canonical):
    amount: Decimal
    currency: str = Field(default="RUB", min_length=3, max_length=3)


class Price(Canonical):
    price_type: str = Field(description="Name of the price type, e.g. `Цена продажи`.")
    price_type_id: str | None = None
    amount: Decimal
    currency: str = "RUB"


class AssortmentKind(StrEnum):
    PRODUCT = "product"
    VARIANT = "variant"
    SERVICE = "service"
    BUNDLE = "bundle"


class ProductKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"
    BUNDLE = "bundle"


class Deleted(Canonical):
    """Payload of every `<entity>.deleted` event."""

    id: str
    deleted_at: AwareDatetime


class Folder(Canonical):
    id: str
    name: str
    code: str | None = None
    external_code: str | None = None
    parent_id: str | None = None
    path: str = Field(default="", description="Names of the ancestors joined by `/`, empty at the root.")
    archived: bool = False
    updated_at: AwareDatetime


class BundleComponent(Canonical):
    assortment_id: str
    assortment_kind: AssortmentKind
    quantity: Decimal


class Product(Canonical):
    """A product, service or bundle: one row of the catalog."""

    id: str
    kind: ProductKind
    name: str
    code: str | None = None
    article: str | None = None
    external_code: str | None = None
    description: str | None = None
    folder_id: str | None = None
    uom: str | None = None
    barcodes: list[str] = Field(default_factory=list)
    sale_prices: list[Price] = Field(default_factory=list)
    buy_price: Money | None = None
    min_price: Money | None = None
    vat_percent: Decimal | None = None
    vat_enabled: bool = False
    minimum_stock: Decimal | None = None
    archived: bool = False
    weight: Decimal | None = None
    volume: Decimal | None = None
    components: list[BundleComponent] = Field(default_factory=list)
    updated_at: AwareDatetime


class Variant(Canonical):
    id: str
    product_id: str
    name: str
    code: str | None = None
    article: str | None = None
    external_code: str | None = None
    characteristics: dict[str, str] = Field(default_factory=dict)
    barcodes: list[str] = Field(default_factory=list)
    sale_prices: list[Price] = Field(default_factory=list)
    buy_price: Money | None = None
    min_price: Money | None = None
    archived: bool = False
    updated_at: AwareDatetime


class Store(Canonical):
    id: str
    name: str
    code: str | None = None
    external_code: str | None = None
    address: str | None = None
    parent_id: str | None = None
    archived: bool = False
    updated_at: AwareDatetime


class CounterpartyKind(StrEnum):
    LEGAL = "legal"
    ENTREPRENEUR = "entrepreneur"
    INDIVIDUAL = "individual"


class Counterparty(Canonical):
    id: str
    name: str
    kind: CounterpartyKind = CounterpartyKind.LEGAL
    code: str | None = None
    external_code: str | None = None
    inn: str | None = None
    email: str | None = Field(default=None, description="The primary e-mail, as written at the source.")
    phone: str | None = Field(default=None, description="The primary phone, as written at the source.")
    emails: list[str] = Field(
        default_factory=list, description="Every e-mail the source holds for it (a CRM keeps several), primary first."
    )
    phones: list[str] = Field(default_factory=list, description="Every phone the source holds for it, primary first.")
    tags: list[str] = Field(default_factory=list)
    archived: bool = False
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime


class Organization(Canonical):
    id: str
    name: str
    inn: str | None = None
    archived: bool = False
    updated_at: AwareDatetime


class DocumentKind(StrEnum):
    CUSTOMER_ORDER = "customer_order"
    SHIPMENT = "shipment"
    RETAIL_SALE = "retail_sale"
    SALES_RETURN = "sales_return"
    RETAIL_RETURN = "retail_return"
    SUPPLY = "supply"
    PURCHASE_ORDER = "purchase_order"


class Position(Canonical):
    id: str
    assortment_id: str
    assortment_kind: AssortmentKind
    product_id: str = Field(description="The product itself, or the parent product of a variant.")
    quantity: Decimal
    price: Decimal = Field(description="Unit price before discount, in the document currency.")
    discount_percent: Decimal = Decimal(0)
    vat_percent: Decimal = Decimal(0)
    amount: Decimal = Field(description="quantity × price × (1 − discount), in the document currency.")
    cost: Decimal | None = Field(
        default=None, description="Unit cost at the time of the document, as the source computes it."
    )


class Document(Canonical):
    """A trade document: an order, a shipment, a retail sale, a return, a supply."""

    id: str
    kind: DocumentKind
    number: str
    moment: AwareDatetime = Field(description="When the document takes effect, UTC.")
    applicable: bool = Field(description="Posted (проведён): only posted documents move stock and money.")
    state: str | None = None
    organization_id: str | None = None
    counterparty_id: str | None = None
    store_id: str | None = None
    currency: str = "RUB"
    vat_enabled: bool = False
    vat_included: bool = True
    total: Decimal = Field(description="Document sum in the document currency.")
    positions: list[Position] = Field(default_factory=list)
    base_document_id: str | None = Field(default=None, description="e.g. the shipment a return refers to.")
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime


class StageSemantics(StrEnum):
    """Where a stage leaves a deal: still in progress, won or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class PipelineStage(Canonical):
    id: str
    name: str
    sort: int = Field(description="Order of the stage in its pipeline: a deal normally moves to higher values.")
    semantics: StageSemantics = StageSemantics.OPEN


class Pipeline(Canonical):
    """A sales pipeline (a CRM's deal category / funnel) with its stages in order."""

    id: str
    name: str
    sort: int = 0
    is_default: bool = False
    stages: list[PipelineStage] = Field(default_factory=list)
    updated_at: AwareDatetime


class StageChange(Canonical):
    stage_id: str
    entered_at: AwareDatetime


class DealPosition(Canonical):
    id: str
    product_id: str | None = Field(default=None, description="The source's product, when the row names one.")
    name: str
    quantity: Decimal
    price: Decimal = Field(description="Unit price after discount, in the deal currency.")
    discount_percent: Decimal = Decimal(0)
    amount: Decimal = Field(description="quantity × price, in the deal currency.")


class Deal(Canonical):
    """A deal of a sales pipeline. Deals feed the funnel, not revenue: revenue comes from trade documents."""

    id: str
    title: str
    pipeline_id: str
    stage_id: str
    stage_semantics: StageSemantics = Field(description="The semantics of `stage_id`, so a consumer need not look up.")
    amount: Money
    company_id: str | None = Field(default=None, description="A counterparty id (`crm.counterparties.v1`).")
    contact_id: str | None = Field(default=None, description="A counterparty id (`crm.counterparties.v1`).")
    responsible_id: str | None = None
    responsible_name: str | None = None
    positions: list[DealPosition] = Field(default_factory=list)
    stage_history: list[StageChange] = Field(
        default_factory=list, description="Every stage the deal entered, oldest first, as the source recorded it."
    )
    expected_close_date: date | None = None
    closed: bool = False
    closed_at: AwareDatetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class StockLevel(Canonical):
    """Stock of one product or variant in one store. Entity id: `<assortment_id>:<store_id>`."""

    assortment_id: str
    assortment_kind: AssortmentKind
    product_id: str
    store_id: str
    stock: Decimal
    reserve: Decimal = Decimal(0)
    in_transit: Decimal = Decimal(0)
    available: Decimal
    unit_cost: Decimal | None = None
    minimum_stock: Decimal | None = None
    as_of: AwareDatetime


class AlertKind(StrEnum):
    LOW_STOCK = "low_stock"
    SYNC_FAILED = "sync_failed"
    REVENUE_DROP = "revenue_drop"


class Alert(Canonical):
    id: str
    kind: AlertKind
    severity: str = Field(default="warning", pattern="^(info|warning|critical)$")
    title: str
    message: str
    permission: str = Field(description="Permission a user needs to see this alert, e.g. `inventory:read`.")
    subject_id: str | None = None
    data: dict[str, str] = Field(default_factory=dict)
    raised_at: datetime


class SyncStatus(Canonical):
    job_id: str
    integration_id: str
    status: str
    detail: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    finished_at: AwareDatetime | None = None

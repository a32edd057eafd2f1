"""Sales tables: document headers (for versions and the orders pipeline), position facts and daily roll-ups.

Money columns are unconstrained NUMERIC: a unit cost with four decimals times a fractional quantity stays exact, and
rounding to the kopeck happens once, at the API boundary.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class DocumentRow(Base):
    """The newest version seen of each sales document, deleted ones kept as tombstones so old versions stay ignored."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_kind_day", "kind", "business_day"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[str | None] = mapped_column(String(255))
    applicable: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    moment: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    business_day: Mapped[date | None] = mapped_column(Date)
    counterparty_id: Mapped[str | None] = mapped_column(String(64))
    store_id: Mapped[str | None] = mapped_column(String(64))
    organization_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    total: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    positions: Mapped[int] = mapped_column(Integer, default=0)
    source_version: Mapped[int] = mapped_column(BigInteger)


class SalesFact(Base):
    """One position of an applicable shipment, retail sale (positive) or sales return (negative)."""

    __tablename__ = "sales_facts"
    __table_args__ = (
        Index("ix_sales_facts_day_product", "business_day", "product_id"),
        Index("ix_sales_facts_customer_day", "customer_id", "business_day"),
        # Recomputing the product roll-up for the keys a batch touched reads facts by these.
        Index("ix_sales_facts_day_assortment", "business_day", "assortment_id"),
    )

    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    business_day: Mapped[date] = mapped_column(Date)
    moment: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assortment_id: Mapped[str] = mapped_column(String(64))
    assortment_kind: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64), default="")
    store_id: Mapped[str] = mapped_column(String(64), default="")
    organization_id: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    quantity: Mapped[Decimal] = mapped_column(Numeric)
    revenue: Mapped[Decimal] = mapped_column(Numeric)
    vat: Mapped[Decimal] = mapped_column(Numeric)
    cost: Mapped[Decimal] = mapped_column(Numeric)
    profit: Mapped[Decimal] = mapped_column(Numeric)
    cost_known: Mapped[bool] = mapped_column(Boolean, default=True)


class SalesDailyProduct(Base):
    """Per business day, product or variant and store: sums of the facts, recomputed for every key a batch touches.

    A document has one day and one store, so ``documents`` (documents with this product) adds up over days and
    stores of one product, never across products.
    """

    __tablename__ = "sales_daily_products"

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    assortment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64))
    documents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    returned_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


class SalesDailyCustomer(Base):
    """Per business day and customer: sale and return documents and their sums ('' is 'no customer')."""

    __tablename__ = "sales_daily_customers"
    __table_args__ = (Index("ix_sales_daily_customers_customer_day", "customer_id", "business_day"),)

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sales_docs: Mapped[int] = mapped_column(Integer, default=0)
    return_docs: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


class SalesDailyDocument(Base):
    """Per business day, store, customer and organization: document counts and sums.

    Every document falls in exactly one row, so document counts add up across any grouping by time, store, customer
    or organization; the sales report answers those questions from here instead of from the facts.
    """

    __tablename__ = "sales_daily_documents"

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


# Coarse roll-ups for the dashboard (docs/architecture.md, "Layers"; README "Reports at 1M positions"): a business
# day's totals, a month per product and a month per customer are kept by adding what each batch's facts change, and
# each customer's first sale day is recomputed per customer from `sales_daily_customers`. A row exists exactly while
# facts fall into it. Business days are Moscow (ANALYTICS_TIMEZONE) days, as the facts carry them.


class SalesDailyTotal(Base):
    """Per business day: sale and return documents and the sums of every fact of the day."""

    __tablename__ = "sales_daily_totals"

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    sales_docs: Mapped[int] = mapped_column(Integer, default=0)
    return_docs: Mapped[int] = mapped_column(Integer, default=0)
    sold_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    returned_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


class SalesMonthlyProduct(Base):
    """Per calendar month (its first day) of business days, product or variant: documents with it and sums."""

    __tablename__ = "sales_monthly_products"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    assortment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    sold_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    returned_quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


class SalesMonthlyCustomer(Base):
    """Per calendar month of business days and customer: sale and return documents and their sums."""

    __tablename__ = "sales_monthly_customers"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sales_docs: Mapped[int] = mapped_column(Integer, default=0)
    return_docs: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    profit: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))


class SalesCustomerFirst(Base):
    """Per customer with at least one sale: the business day of the first one (new customers of a period)."""

    __tablename__ = "sales_customer_firsts"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_sale_day: Mapped[date] = mapped_column(Date)

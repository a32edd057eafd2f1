"""coarse roll-ups for the dashboard: a business day's totals, a month per product and per customer, first sales

The dashboard summed the daily product and customer roll-ups (one row per day, product and store) for every figure,
as many numeric rows as the raw positions of the period; these tables answer the same figures from one row per day,
per month and product, per month and customer, and per customer (docs/architecture.md, "Layers"; README, "Reports
at 1M positions"). They are back-filled here from the finer roll-ups, which hold the same sums: a document has one
business day, one store and one customer, so document counts add up across days and stores.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"
BACKFILL = """
INSERT INTO analytics.sales_daily_totals (business_day, sales_docs, return_docs, sold_quantity, returned_quantity,
    revenue, vat, cost, profit)
SELECT p.business_day, c.sales_docs, c.return_docs, p.sold, p.returned, p.revenue, p.vat, p.cost, p.profit
FROM (SELECT business_day, sum(sold_quantity) sold, sum(returned_quantity) returned, sum(revenue) revenue,
             sum(vat) vat, sum(cost) cost, sum(profit) profit
      FROM analytics.sales_daily_products GROUP BY business_day) p
JOIN (SELECT business_day, sum(sales_docs) sales_docs, sum(return_docs) return_docs
      FROM analytics.sales_daily_customers GROUP BY business_day) c USING (business_day);
INSERT INTO analytics.sales_monthly_products (month, assortment_id, product_id, documents, sold_quantity,
    returned_quantity, revenue, vat, cost, profit)
SELECT CAST(date_trunc('month', CAST(business_day AS timestamp)) AS date), assortment_id, product_id, sum(documents),
    sum(sold_quantity), sum(returned_quantity), sum(revenue), sum(vat), sum(cost), sum(profit)
FROM analytics.sales_daily_products GROUP BY 1, 2, 3;
INSERT INTO analytics.sales_monthly_customers (month, customer_id, sales_docs, return_docs, quantity, revenue, cost,
    profit)
SELECT CAST(date_trunc('month', CAST(business_day AS timestamp)) AS date), customer_id, sum(sales_docs),
    sum(return_docs), sum(quantity), sum(revenue), sum(cost), sum(profit)
FROM analytics.sales_daily_customers GROUP BY 1, 2;
INSERT INTO analytics.sales_customer_firsts (customer_id, first_sale_day)
SELECT customer_id, min(business_day) FROM analytics.sales_daily_customers WHERE sales_docs > 0 GROUP BY 1;
"""


def _money(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.Numeric(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "sales_daily_totals",
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("sales_docs", sa.Integer(), nullable=False),
        sa.Column("return_docs", sa.Integer(), nullable=False),
        *_money("sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit"),
        sa.PrimaryKeyConstraint("business_day", name=op.f("pk_sales_daily_totals")),
        schema=SCHEMA,
    )
    op.create_table(
        "sales_monthly_products",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("assortment_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        *_money("sold_quantity", "returned_quantity", "revenue", "vat", "cost", "profit"),
        sa.PrimaryKeyConstraint("month", "assortment_id", "product_id", name=op.f("pk_sales_monthly_products")),
        schema=SCHEMA,
    )
    op.create_table(
        "sales_monthly_customers",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("sales_docs", sa.Integer(), nullable=False),
        sa.Column("return_docs", sa.Integer(), nullable=False),
        *_money("quantity", "revenue", "cost", "profit"),
        sa.PrimaryKeyConstraint("month", "customer_id", name=op.f("pk_sales_monthly_customers")),
        schema=SCHEMA,
    )
    op.create_table(
        "sales_customer_firsts",
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("first_sale_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_sales_customer_firsts")),
        schema=SCHEMA,
    )
    for statement in BACKFILL.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for table in ("sales_customer_firsts", "sales_monthly_customers", "sales_monthly_products", "sales_daily_totals"):
        op.drop_table(table, schema=SCHEMA)

"""roll-ups for batch apply and the sales report

Adds documents per product roll-up row, the document-grain roll-up ``sales_daily_documents`` and an index for
recomputing product roll-ups by key, then recomputes every roll-up from the facts (roll-ups are now recomputed per
key, so rows whose facts are all gone no longer linger as zeros).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECOMPUTE = """
DELETE FROM analytics.sales_daily_products;
INSERT INTO analytics.sales_daily_products (business_day, assortment_id, store_id, product_id, documents,
    sold_quantity, returned_quantity, revenue, vat, cost, profit)
SELECT business_day, assortment_id, store_id, max(product_id), count(DISTINCT document_id),
    coalesce(sum(quantity) FILTER (WHERE kind <> 'sales_return'), 0),
    coalesce(-sum(quantity) FILTER (WHERE kind = 'sales_return'), 0),
    sum(revenue), sum(vat), sum(cost), sum(profit)
FROM analytics.sales_facts GROUP BY business_day, assortment_id, store_id;
DELETE FROM analytics.sales_daily_customers;
INSERT INTO analytics.sales_daily_customers (business_day, customer_id, sales_docs, return_docs, quantity, revenue,
    cost, profit)
SELECT business_day, customer_id,
    count(DISTINCT document_id) FILTER (WHERE kind <> 'sales_return'),
    count(DISTINCT document_id) FILTER (WHERE kind = 'sales_return'),
    sum(quantity), sum(revenue), sum(cost), sum(profit)
FROM analytics.sales_facts GROUP BY business_day, customer_id;
INSERT INTO analytics.sales_daily_documents (business_day, store_id, customer_id, organization_id, documents,
    quantity, revenue, vat, cost, profit)
SELECT business_day, store_id, customer_id, organization_id, count(DISTINCT document_id),
    sum(quantity), sum(revenue), sum(vat), sum(cost), sum(profit)
FROM analytics.sales_facts GROUP BY business_day, store_id, customer_id, organization_id;
"""


def upgrade() -> None:
    op.add_column(
        "sales_daily_products",
        sa.Column("documents", sa.Integer(), server_default="0", nullable=False),
        schema="analytics",
    )
    op.create_table(
        "sales_daily_documents",
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("revenue", sa.Numeric(), nullable=False),
        sa.Column("vat", sa.Numeric(), nullable=False),
        sa.Column("cost", sa.Numeric(), nullable=False),
        sa.Column("profit", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "business_day", "store_id", "customer_id", "organization_id", name=op.f("pk_sales_daily_documents")
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_sales_facts_day_assortment", "sales_facts", ["business_day", "assortment_id"], schema="analytics"
    )
    for statement in RECOMPUTE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_sales_facts_day_assortment", table_name="sales_facts", schema="analytics")
    op.drop_table("sales_daily_documents", schema="analytics")
    op.drop_column("sales_daily_products", "documents", schema="analytics")

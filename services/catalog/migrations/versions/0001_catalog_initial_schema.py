"""Catalog initial schema: folders, products and their prices, variants, and the inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:02:34.554067
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("external_code", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("path", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
        schema="catalog",
    )
    op.create_index(op.f("ix_catalog_folders_parent_id"), "folders", ["parent_id"], unique=False, schema="catalog")
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
        schema="catalog",
    )
    op.create_table(
        "product_prices",
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("price_type", sa.Text(), nullable=False),
        sa.Column("price_type_id", sa.String(), nullable=True),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "position", name=op.f("pk_product_prices")),
        schema="catalog",
    )
    op.create_index(
        "ix_product_prices_type_amount", "product_prices", ["price_type", "amount"], unique=False, schema="catalog"
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("article", sa.Text(), nullable=True),
        sa.Column("external_code", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("folder_id", sa.String(), nullable=True),
        sa.Column("uom", sa.Text(), nullable=True),
        sa.Column("barcodes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("buy_price_amount", sa.Numeric(), nullable=True),
        sa.Column("buy_price_currency", sa.String(length=3), nullable=True),
        sa.Column("min_price_amount", sa.Numeric(), nullable=True),
        sa.Column("min_price_currency", sa.String(length=3), nullable=True),
        sa.Column("vat_percent", sa.Numeric(), nullable=True),
        sa.Column("vat_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("minimum_stock", sa.Numeric(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("weight", sa.Numeric(), nullable=True),
        sa.Column("volume", sa.Numeric(), nullable=True),
        sa.Column(
            "components", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        schema="catalog",
    )
    op.create_index(op.f("ix_catalog_products_folder_id"), "products", ["folder_id"], unique=False, schema="catalog")
    op.create_index(op.f("ix_catalog_products_updated_at"), "products", ["updated_at"], unique=False, schema="catalog")
    op.create_index(
        "ix_products_barcodes", "products", ["barcodes"], unique=False, schema="catalog", postgresql_using="gin"
    )
    op.create_index("ix_products_name", "products", ["name"], unique=False, schema="catalog")
    op.create_table(
        "variants",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("article", sa.Text(), nullable=True),
        sa.Column("external_code", sa.Text(), nullable=True),
        sa.Column(
            "characteristics", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("barcodes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "sale_prices", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("buy_price_amount", sa.Numeric(), nullable=True),
        sa.Column("buy_price_currency", sa.String(length=3), nullable=True),
        sa.Column("min_price_amount", sa.Numeric(), nullable=True),
        sa.Column("min_price_currency", sa.String(length=3), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
        schema="catalog",
    )
    op.create_index(op.f("ix_catalog_variants_product_id"), "variants", ["product_id"], unique=False, schema="catalog")
    op.create_index(
        "ix_variants_barcodes", "variants", ["barcodes"], unique=False, schema="catalog", postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_variants_barcodes", table_name="variants", schema="catalog", postgresql_using="gin")
    op.drop_index(op.f("ix_catalog_variants_product_id"), table_name="variants", schema="catalog")
    op.drop_table("variants", schema="catalog")
    op.drop_index("ix_products_name", table_name="products", schema="catalog")
    op.drop_index("ix_products_barcodes", table_name="products", schema="catalog", postgresql_using="gin")
    op.drop_index(op.f("ix_catalog_products_updated_at"), table_name="products", schema="catalog")
    op.drop_index(op.f("ix_catalog_products_folder_id"), table_name="products", schema="catalog")
    op.drop_table("products", schema="catalog")
    op.drop_index("ix_product_prices_type_amount", table_name="product_prices", schema="catalog")
    op.drop_table("product_prices", schema="catalog")
    op.drop_table("processed_events", schema="catalog")
    op.drop_index(op.f("ix_catalog_folders_parent_id"), table_name="folders", schema="catalog")
    op.drop_table("folders", schema="catalog")

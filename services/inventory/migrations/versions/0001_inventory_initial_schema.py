"""Inventory initial schema: stores, stock, catalog read model, thresholds, low-stock state, inbox, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:07:03.752212
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
        "assortment",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("article", sa.Text(), nullable=True),
        sa.Column("folder_id", sa.String(), nullable=True),
        sa.Column("minimum_stock", sa.Numeric(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assortment")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_assortment_folder_id"), "assortment", ["folder_id"], unique=False, schema="inventory"
    )
    op.create_index(
        op.f("ix_inventory_assortment_product_id"), "assortment", ["product_id"], unique=False, schema="inventory"
    )
    op.create_table(
        "folders",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
        schema="inventory",
    )
    op.create_index(op.f("ix_inventory_folders_parent_id"), "folders", ["parent_id"], unique=False, schema="inventory")
    op.create_table(
        "low_stock_state",
        sa.Column("assortment_id", sa.String(), nullable=False),
        sa.Column("store_id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("crossings", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Numeric(), nullable=True),
        sa.Column("minimum", sa.Numeric(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("assortment_id", "store_id", name=op.f("pk_low_stock_state")),
        schema="inventory",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_outbox_published_at"), "outbox", ["published_at"], unique=False, schema="inventory"
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
        schema="inventory",
    )
    op.create_table(
        "stock",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("assortment_id", sa.String(), nullable=False),
        sa.Column("assortment_kind", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("store_id", sa.String(), nullable=False),
        sa.Column("stock", sa.Numeric(), nullable=False),
        sa.Column("reserve", sa.Numeric(), nullable=False),
        sa.Column("in_transit", sa.Numeric(), nullable=False),
        sa.Column("available", sa.Numeric(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(), nullable=True),
        sa.Column("minimum_stock", sa.Numeric(), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock")),
        schema="inventory",
    )
    op.create_index(op.f("ix_inventory_stock_product_id"), "stock", ["product_id"], unique=False, schema="inventory")
    op.create_index(op.f("ix_inventory_stock_store_id"), "stock", ["store_id"], unique=False, schema="inventory")
    op.create_index(
        "uq_stock_assortment_store", "stock", ["assortment_id", "store_id"], unique=True, schema="inventory"
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("external_code", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        schema="inventory",
    )
    op.create_table(
        "thresholds",
        sa.Column("assortment_id", sa.String(), nullable=False),
        sa.Column("store_id", sa.String(), nullable=False),
        sa.Column("minimum", sa.Numeric(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("assortment_id", "store_id", name=op.f("pk_thresholds")),
        schema="inventory",
    )


def downgrade() -> None:
    op.drop_table("thresholds", schema="inventory")
    op.drop_table("stores", schema="inventory")
    op.drop_index("uq_stock_assortment_store", table_name="stock", schema="inventory")
    op.drop_index(op.f("ix_inventory_stock_store_id"), table_name="stock", schema="inventory")
    op.drop_index(op.f("ix_inventory_stock_product_id"), table_name="stock", schema="inventory")
    op.drop_table("stock", schema="inventory")
    op.drop_table("processed_events", schema="inventory")
    op.drop_index(op.f("ix_inventory_outbox_published_at"), table_name="outbox", schema="inventory")
    op.drop_table("outbox", schema="inventory")
    op.drop_table("low_stock_state", schema="inventory")
    op.drop_index(op.f("ix_inventory_folders_parent_id"), table_name="folders", schema="inventory")
    op.drop_table("folders", schema="inventory")
    op.drop_index(op.f("ix_inventory_assortment_product_id"), table_name="assortment", schema="inventory")
    op.drop_index(op.f("ix_inventory_assortment_folder_id"), table_name="assortment", schema="inventory")
    op.drop_table("assortment", schema="inventory")

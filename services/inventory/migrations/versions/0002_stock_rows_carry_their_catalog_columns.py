"""stock rows carry their catalog columns: name, code, article, folder, the catalog's minimum, deleted

The stock list joined every stock row to its item and to the item's product (names, folder, minimum, deletion) to
filter, sort and count, whatever the page: 0.3 s for a 50-row page of a shop with 100,000 products in three stores.
A stock row now carries those values (kept by the consumer whenever its item or product changes,
StockRepository.copy_catalog), and an index of the listed rows by name gives the first page without reading the rest
(docs/architecture.md, "API conventions"). Back-filled here from the assortment, as the consumer would copy it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"
BACKFILL = """
UPDATE inventory.stock AS s
SET name = c.name, code = c.code, article = c.article, folder_id = c.folder_id, catalog_minimum = c.catalog_minimum,
    catalog_deleted = c.catalog_deleted
FROM (SELECT stock.id, coalesce(item.name, parent.name) AS name, coalesce(item.code, parent.code) AS code,
             coalesce(item.article, parent.article) AS article, coalesce(item.folder_id, parent.folder_id) AS folder_id,
             coalesce(item.minimum_stock, parent.minimum_stock) AS catalog_minimum,
             item.deleted_at IS NOT NULL OR parent.deleted_at IS NOT NULL AS catalog_deleted
      FROM inventory.stock
      LEFT JOIN inventory.assortment AS item ON item.id = stock.assortment_id
      LEFT JOIN inventory.assortment AS parent ON parent.id = stock.product_id) AS c
WHERE s.id = c.id
"""


def upgrade() -> None:
    op.add_column("stock", sa.Column("name", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column("stock", sa.Column("code", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column("stock", sa.Column("article", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column("stock", sa.Column("folder_id", sa.String(), nullable=True), schema=SCHEMA)
    op.add_column("stock", sa.Column("catalog_minimum", sa.Numeric(), nullable=True), schema=SCHEMA)
    op.add_column(
        "stock",
        sa.Column("catalog_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=SCHEMA,
    )
    op.execute(BACKFILL)
    op.create_index(
        "ix_stock_listed_by_name",
        "stock",
        ["name", "store_id"],
        unique=False,
        schema=SCHEMA,
        postgresql_where=sa.text("NOT catalog_deleted"),
    )


def downgrade() -> None:
    op.drop_index("ix_stock_listed_by_name", table_name="stock", schema=SCHEMA)
    for column in ("catalog_deleted", "catalog_minimum", "folder_id", "article", "code", "name"):
        op.drop_column("stock", column, schema=SCHEMA)

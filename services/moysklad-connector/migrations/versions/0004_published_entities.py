"""published entities: the ledger of what the connector published as live, for reconciliation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "moysklad"


def upgrade() -> None:
    op.create_table(
        "published_entities",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "entity_id", name=op.f("pk_published_entities")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("published_entities", schema=SCHEMA)

"""sales funnel: pipelines with their stages, deals with their stage history

Projection tables fed by ``crm.pipelines.v1`` and ``crm.deals.v1`` (a CRM such as Bitrix24). They start empty: the
consumer fills them from the topics.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("sort", sa.Integer, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("source_version", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("pipeline_id", sa.String(64), primary_key=True),
        sa.Column("stage_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("sort", sa.Integer, nullable=False),
        sa.Column("semantics", sa.String(10), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("pipeline_id", sa.String(64), nullable=False),
        sa.Column("stage_id", sa.String(64), nullable=False),
        sa.Column("stage_semantics", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("company_id", sa.String(64)),
        sa.Column("contact_id", sa.String(64)),
        sa.Column("responsible_id", sa.String(64)),
        sa.Column("responsible_name", sa.String(255)),
        sa.Column("expected_close_date", sa.Date),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("source_version", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    for column in ("pipeline_id", "company_id", "contact_id", "created_at"):
        op.create_index(f"ix_analytics_deals_{column}", "deals", [column], schema=SCHEMA)
    op.create_table(
        "deal_stages",
        sa.Column("deal_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("stage_id", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("deal_stages", "deals", "pipeline_stages", "pipelines"):
        op.drop_table(table, schema=SCHEMA)

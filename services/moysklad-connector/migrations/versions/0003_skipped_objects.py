"""skipped objects: per-job counts by type and reason, re-drivable dead letters, a longer job status

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "moysklad"


def upgrade() -> None:
    op.alter_column("sync_jobs", "status", type_=sa.String(32), existing_nullable=False, schema=SCHEMA)
    op.add_column(
        "sync_jobs",
        sa.Column("skipped", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("dead_letters", sa.Column("redriven_at", sa.DateTime(timezone=True)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("dead_letters", "redriven_at", schema=SCHEMA)
    op.drop_column("sync_jobs", "skipped", schema=SCHEMA)
    op.execute("UPDATE moysklad.sync_jobs SET status = 'succeeded' WHERE status = 'succeeded_with_skipped'")
    op.alter_column("sync_jobs", "status", type_=sa.String(16), existing_nullable=False, schema=SCHEMA)

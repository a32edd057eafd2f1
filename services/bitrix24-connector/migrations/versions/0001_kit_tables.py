"""The integration kit's tables in schema ``bitrix24``.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from bitrix24_connector.db import load_metadata
from crm_integration.migrations import create_kit_tables, drop_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables(op.get_bind(), load_metadata())


def downgrade() -> None:
    drop_kit_tables(op.get_bind(), load_metadata())

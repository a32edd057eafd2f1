"""checkpoint notifications: every change to the checkpoints is announced on the channel ``analytics_checkpoints``

A report cache hit needs the checkpoint token (its key includes it). Read from the table, that was a pooled connection
and a query on every hit, a third of a cached report's CPU (issue #16, bench/read_ceiling.py). With this trigger each
API process keeps the token in memory and forgets it when PostgreSQL tells it the checkpoints changed
(analytics_service.checkpoints.watch). One notification per statement, sent when its transaction commits: whatever
writes the checkpoints (a batch's advance, a rebuild's swap, a truncate) is announced. A checkpoints table a rebuild
or a bulk load creates gets the same trigger from the table's metadata (analytics_service.checkpoints.models).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION analytics.announce_checkpoints() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('analytics_checkpoints', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER checkpoints_announced AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON analytics.checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION analytics.announce_checkpoints()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS checkpoints_announced ON analytics.checkpoints")
    op.execute("DROP FUNCTION analytics.announce_checkpoints()")

"""customer identity across sources

Counterparties record their source and normalized identity keys; ``customer_keys`` and ``customer_members`` (projection
tables) say which counterparties are one customer; ``customer_decisions`` keeps the admins' merges and splits (a store
table: a rebuild never drops it). Existing counterparties (all from MoySklad until now) get their keys and customers
here, so the upgrade needs no replay.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from analytics_service.customers.identity.keys import format_keys, keys_of
from analytics_service.customers.identity.resolve import resolve

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"


def upgrade() -> None:
    op.add_column(
        "counterparties", sa.Column("source", sa.String(32), nullable=False, server_default=""), schema=SCHEMA
    )
    op.add_column("counterparties", sa.Column("identity_keys", sa.Text()), schema=SCHEMA)
    op.create_table(
        "customer_keys",
        sa.Column("counterparty_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("value", sa.String(255), primary_key=True),
        schema=SCHEMA,
    )
    op.create_index("ix_customer_keys_key", "customer_keys", ["kind", "value"], schema=SCHEMA)
    op.create_table(
        "customer_members",
        sa.Column("counterparty_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("matched_by", sa.String(10), nullable=False),
        sa.Column("matched_value", sa.String(255)),
        schema=SCHEMA,
    )
    op.create_index("ix_analytics_customer_members_customer_id", "customer_members", ["customer_id"], schema=SCHEMA)
    op.create_table(
        "customer_decisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("counterparty_id", sa.String(64), nullable=False),
        sa.Column("other_id", sa.String(64)),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_analytics_customer_decisions_counterparty_id", "customer_decisions", ["counterparty_id"], schema=SCHEMA
    )
    op.create_index("ix_analytics_customer_decisions_other_id", "customer_decisions", ["other_id"], schema=SCHEMA)
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT id, inn, phone, email FROM {SCHEMA}.counterparties WHERE NOT deleted")  # noqa: S608
    ).all()
    keys = {r.id: keys_of(r.inn, [r.phone], [r.email]) for r in rows}
    bind.execute(sa.text(f"UPDATE {SCHEMA}.counterparties SET source = 'moysklad'"))  # noqa: S608
    if not keys:
        return
    bind.execute(
        sa.text(f"UPDATE {SCHEMA}.counterparties SET identity_keys = :k WHERE id = :id"),  # noqa: S608
        [{"id": cid, "k": format_keys(own)} for cid, own in keys.items()],
    )
    key_rows = [{"c": cid, "k": k.kind.value, "v": k.value} for cid, own in keys.items() for k in own]
    if key_rows:
        bind.execute(
            sa.text(f"INSERT INTO {SCHEMA}.customer_keys (counterparty_id, kind, value) VALUES (:c, :k, :v)"),  # noqa: S608
            key_rows,
        )
    members = resolve(keys).members
    bind.execute(
        sa.text(
            f"INSERT INTO {SCHEMA}.customer_members (counterparty_id, customer_id, matched_by, matched_value) "  # noqa: S608
            "VALUES (:c, :cu, :by, :v)"
        ),
        [{"c": cid, "cu": m.customer_id, "by": m.matched_by, "v": m.matched_value} for cid, m in members.items()],
    )


def downgrade() -> None:
    op.drop_table("customer_decisions", schema=SCHEMA)
    op.drop_table("customer_members", schema=SCHEMA)
    op.drop_table("customer_keys", schema=SCHEMA)
    op.drop_column("counterparties", "identity_keys", schema=SCHEMA)
    op.drop_column("counterparties", "source", schema=SCHEMA)

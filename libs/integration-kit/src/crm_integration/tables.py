"""The kit's tables, as mixins: a connector declares each one on its own declarative base, in its own schema.

    class SyncJob(SyncJobRow, Base): ...

gives ``<schema>.sync_jobs`` with the columns, indexes and names below; the connector's own Alembic tree creates them
(``crm_integration.migrations`` has the helper for a new connector's first revision). The names and columns are the
ones the MoySklad connector has shipped since its first migrations, so its data stays where it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Index, LargeBinary, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class SyncJobRow:
    """One run of a sync: what was asked, how far it got, what it published and what went wrong."""

    __tablename__ = "sync_jobs"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            # At most one active job per integration, whatever process started it.
            Index(
                "uq_sync_jobs_active",
                "integration_id",
                unique=True,
                postgresql_where=text("status IN ('queued', 'running')"),
            ),
            Index("ix_sync_jobs_integration_created", "integration_id", "created_at"),
        )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    integration_id: Mapped[str] = mapped_column(String(64), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # full | incremental | resume | source modes
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)  # schedule | manual | cli | webhook | takeover
    # queued | running | succeeded | succeeded_with_skipped | failed | interrupted
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    counts: Mapped[dict[str, int]] = mapped_column(JSONB, nullable=False, default=dict)
    # Objects kept as skipped (dead letters) instead of published: {entity type: {reason: count}}.
    skipped: Mapped[dict[str, dict[str, int]]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'::jsonb")
    )
    progress: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncCursorRow:
    """Where paging of one type stopped: the last published ``(updated, id)`` in the source's own text."""

    __tablename__ = "sync_cursors"

    integration_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_updated: Mapped[str | None] = mapped_column(String(32))  # the source's own text (MoySklad: MSK with ms)
    last_id: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    saved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class SkippedObjectRow:
    """A source object the mapper could not read, kept with its raw body and the reason (a dead letter)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    integration_id: Mapped[str] = mapped_column(String(64), nullable=False)
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[Any] = mapped_column(JSONB, nullable=False)
    redriven_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # published after a fix
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class PublishedEntityRow:
    """The newest entity event published per source account, kind and id: the ledger reconciliation diffs against.

    ``live`` is false once a ``<kind>.deleted`` went out; ``version`` is that event's ``source_version``, so an older
    event republished later (a cursor overlap, a replayed page) never brings a deleted id back to life.
    """

    __tablename__ = "published_entities"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # the event prefix: product, customer_order, …
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    live: Mapped[bool] = mapped_column(Boolean, nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IntegrationRow:
    """A stored integration: where the account is and its secret, encrypted (crm_integration.credentials)."""

    __tablename__ = "integrations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500), nullable=False)
    auth_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # the source's kinds (MoySklad: basic | token)
    username: Mapped[str | None] = mapped_column(String(255))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class WebhookReceiptRow:
    """A webhook notification received, keyed by the source's request id (its retries repeat it)."""

    __tablename__ = "webhook_receipts"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    integration_id: Mapped[str] = mapped_column(String(64), nullable=False)
    events: Mapped[Any] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )

"""The integration kit's tables in schema ``moysklad``: sync jobs, cursors, skipped objects, the published-entities
ledger, stored integrations and webhook receipts.

The columns are the kit's (crm_integration.tables); this connector places them in its schema and its Alembic tree
(migrations/versions) creates them. ``TABLES`` builds the kit's repositories over them.
"""

from __future__ import annotations

from crm_integration.jobs import SyncTables
from crm_integration.tables import (
    IntegrationRow,
    PublishedEntityRow,
    SkippedObjectRow,
    SyncCursorRow,
    SyncJobRow,
    WebhookReceiptRow,
)
from moysklad_connector.db import Base


class SyncJob(SyncJobRow, Base):
    """One run of a sync of a MoySklad integration."""


class SyncCursor(SyncCursorRow, Base):
    """Where paging of one MoySklad type stopped, saved after each published page."""


class DeadLetterRecord(SkippedObjectRow, Base):
    """A MoySklad object the mapper could not read, kept with its raw body and the reason."""


class PublishedEntity(PublishedEntityRow, Base):
    """The newest entity event published per MoySklad account, kind and id."""


class Integration(IntegrationRow, Base):
    """A MoySklad account: ``auth_kind`` is ``basic`` (login and password) or ``token``."""


class WebhookReceipt(WebhookReceiptRow, Base):
    """One MoySklad webhook notification, keyed by its ``requestId`` (MoySklad's retries repeat it)."""


TABLES = SyncTables(job=SyncJob, cursor=SyncCursor, skipped=DeadLetterRecord, published=PublishedEntity)

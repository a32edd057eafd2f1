"""The integration kit's tables in schema ``bitrix24`` (created by migrations/versions/0001 with the kit's helper)."""

from __future__ import annotations

from bitrix24_connector.db import Base
from crm_integration.jobs import SyncTables
from crm_integration.tables import (
    IntegrationRow,
    PublishedEntityRow,
    SkippedObjectRow,
    SyncCursorRow,
    SyncJobRow,
    WebhookReceiptRow,
)


class SyncJob(SyncJobRow, Base):
    """One run of a sync of a Bitrix24 portal."""


class SyncCursor(SyncCursorRow, Base):
    """Where paging of one Bitrix24 type stopped: the last id of a full walk, the DATE_MODIFY mark of increments."""


class SkippedObject(SkippedObjectRow, Base):
    """A Bitrix24 record the mapper could not read, kept with its raw body and the reason."""


class PublishedEntity(PublishedEntityRow, Base):
    """The newest entity event published per portal, kind and id."""


class Integration(IntegrationRow, Base):
    """A Bitrix24 portal: ``base_url`` is the portal's REST root, the incoming-webhook URL is the secret."""


class WebhookReceipt(WebhookReceiptRow, Base):
    """One outbound event of a portal, keyed by its handler id, event, record id and `ts`."""


TABLES = SyncTables(job=SyncJob, cursor=SyncCursor, skipped=SkippedObject, published=PublishedEntity)

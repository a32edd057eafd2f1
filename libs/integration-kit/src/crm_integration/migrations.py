"""Creating the kit's tables in a connector's own Alembic tree.

A new connector's first revision calls :func:`create_kit_tables` with ``op.get_bind()`` and its metadata: every kit
table the connector declared (crm_integration.tables) is created in the connector's schema, with the indexes the
mixins name. Later changes to a kit table come with an ordinary revision in each connector's tree, written against
the columns the connector's tree has (the MoySklad connector's 0001-0004 created the same tables by hand; they stay
as they are).
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

from crm_integration.tables import (
    IntegrationRow,
    PublishedEntityRow,
    SkippedObjectRow,
    SyncCursorRow,
    SyncJobRow,
    WebhookReceiptRow,
)

KIT_TABLES = tuple(
    row.__tablename__
    for row in (SyncJobRow, SyncCursorRow, SkippedObjectRow, PublishedEntityRow, IntegrationRow, WebhookReceiptRow)
)


def kit_tables(metadata: MetaData) -> list[Table]:
    """The kit's tables among ``metadata``'s, in creation order."""
    return [table for table in metadata.sorted_tables if table.name in KIT_TABLES]


def create_kit_tables(connection: Connection, metadata: MetaData) -> None:
    """Create the kit's tables of ``metadata`` (in its schema) that do not exist yet."""
    metadata.create_all(connection, tables=kit_tables(metadata), checkfirst=True)


def drop_kit_tables(connection: Connection, metadata: MetaData) -> None:
    """The downgrade of :func:`create_kit_tables`."""
    metadata.drop_all(connection, tables=kit_tables(metadata), checkfirst=True)

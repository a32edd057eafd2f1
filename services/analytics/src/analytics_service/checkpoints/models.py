"""Checkpoints: one row per projection, bumped in the same transaction as the projection's rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, DateTime, String, event, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    projection: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Which build of the projection tables this is: "live" until a rebuild swaps in a new one.
    generation: Mapped[str] = mapped_column(String(64), default="live")
    # Kafka positions a rebuild reached, {"topic:partition": next offset}, so the swap can catch up from there.
    offsets: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# Every statement that writes the checkpoints announces it on `analytics_checkpoints` when its transaction commits
# (checkpoints/watch.py; the function is migration 0006's). Part of the table wherever it is created: a rebuild or a
# bulk load creates its own checkpoints table from this metadata and swaps it in for the migrated one.
event.listen(
    Checkpoint.__table__,
    "after_create",
    DDL(
        "CREATE TRIGGER checkpoints_announced AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %(fullname)s "
        "FOR EACH STATEMENT EXECUTE FUNCTION analytics.announce_checkpoints()"
    ),
)

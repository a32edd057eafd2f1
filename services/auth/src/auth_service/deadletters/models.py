from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from auth_service.db import Base, utcnow


class DeadLetterDisposition(Base):
    """What an admin did with one dead letter; a letter without a row is pending. The letter itself stays in Kafka."""

    __tablename__ = "dead_letter_dispositions"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)  # the dead-letter topic, prefix included
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # redriven | discarded
    redrives: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    discard_reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

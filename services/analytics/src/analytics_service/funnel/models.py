"""Pipelines with their stages, and deals with the stages they went through (projection tables)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics_service.db import Base


class PipelineRow(Base):
    __tablename__ = "pipelines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)


class PipelineStageRow(Base):
    """Rewritten with its pipeline's row: the stages of the version that row holds."""

    __tablename__ = "pipeline_stages"

    pipeline_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    semantics: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost


class DealRow(Base):
    __tablename__ = "deals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    pipeline_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    stage_id: Mapped[str] = mapped_column(String(64), default="")
    stage_semantics: Mapped[str] = mapped_column(String(10), default="open")
    amount: Mapped[Decimal] = mapped_column(Numeric, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    company_id: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)
    responsible_id: Mapped[str | None] = mapped_column(String(64))
    responsible_name: Mapped[str | None] = mapped_column(String(255))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(32), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(BigInteger)


class DealStageRow(Base):
    """Rewritten with its deal's row: every stage that version of the deal says it entered, oldest first."""

    __tablename__ = "deal_stages"

    deal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

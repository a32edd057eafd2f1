"""Settings of the analytics service (shared infrastructure names plus ``ANALYTICS_``-prefixed ones)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "analytics"

    port: int = Field(default=8004, ge=1, le=65535)
    timezone: str = Field(default="Europe/Moscow", description="Company time zone: reports group by its business day.")
    consume_events: bool = Field(default=True, description="Run the Kafka consumers in this process.")
    consumer_group: str = Field(default="analytics", min_length=1)
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    sale_price_type: str = Field(default="Цена продажи", description="Price type used to value stock at sale price.")
    cache_ttl: timedelta = Field(default=timedelta(minutes=5), description="Lifetime of a cached report.")
    cache_watch_checkpoints: bool = Field(
        default=True,
        description="Keep the checkpoint token in memory, told of changes by PostgreSQL (LISTEN on a connection of "
        "its own): a cached report is then served without a database query. Off, the token is read on every "
        "report request (e.g. behind a transaction-pooling PgBouncer, which does not pass LISTEN through).",
    )
    dead_stock_days: int = Field(default=90, ge=1, le=3650)
    abc_a_share: Decimal = Field(default=Decimal("0.80"), gt=0, lt=1)
    abc_b_share: Decimal = Field(default=Decimal("0.95"), gt=0, lt=1)
    xyz_x_cv: Decimal = Field(default=Decimal("0.10"), gt=0)
    xyz_y_cv: Decimal = Field(default=Decimal("0.25"), gt=0)
    revenue_drop_percent: Decimal = Field(
        default=Decimal(30),
        gt=0,
        lt=100,
        description="Raise an alert when a day's revenue falls this much below baseline.",
    )
    revenue_drop_baseline_days: int = Field(default=7, ge=1, le=90)
    revenue_drop_min_baseline: Decimal = Field(
        default=Decimal(1000), ge=0, description="Ignore drops from tiny baselines."
    )
    revenue_drop_check_interval: timedelta = Field(default=timedelta(minutes=15))
    run_revenue_drop_checker: bool = Field(default=True)
    max_report_days: int = Field(default=1100, ge=1, description="Longest period a report may cover.")
    consume_batch: int = Field(
        default=500, ge=1, le=10_000, description="Most projection events the live consumer applies per transaction."
    )
    consume_lanes: int = Field(
        default=1,
        ge=1,
        le=16,
        # 1: its documents all take the sales rollups' lock, so a second lane waits for the first; measured at
        # `medium` (bench/consumer_throughput.py), two lanes gave 0.89x, 0.73x and 0.82x of one (docs/operations.md,
        # "Lanes").
        description="Parts of a batch (by record key) applied side by side, each in its own transaction.",
    )
    replay_batch: int = Field(default=2000, ge=1, le=100_000, description="Events per transaction during a rebuild.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

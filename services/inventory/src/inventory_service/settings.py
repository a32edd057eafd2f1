"""Settings of the inventory service (shared infrastructure names plus ``INVENTORY_``-prefixed ones)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "inventory"

    port: int = Field(default=8003, ge=1, le=65535)
    consume_events: bool = Field(default=True, description="Run the Kafka consumers and the outbox relay here.")
    consumer_group: str = Field(default="inventory", min_length=1)
    consume_batch: int = Field(
        default=500, ge=1, le=10_000, description="Most events the consumer takes at once (its lanes share them)."
    )
    consume_lanes: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Parts of a batch (by record key) applied side by side, each in its own transaction.",
    )
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    outbox_interval: timedelta = Field(default=timedelta(milliseconds=500), description="Outbox relay poll period.")
    default_page_size: int = Field(default=50, ge=1, le=1000)
    max_page_size: int = Field(default=500, ge=1, le=5000)

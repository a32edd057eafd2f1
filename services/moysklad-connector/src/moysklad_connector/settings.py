"""Settings of the MoySklad connector.

Connector-specific values take the ``CONNECTOR_`` prefix; the MoySklad credentials keep the plain names the seed
documents (``MOYSKLAD_USERNAME``, ``MOYSKLAD_PASSWORD``, ``MOYSKLAD_TOKEN``, ``MOYSKLAD_BASE_URL``,
``MOYSKLAD_SYNC_INTERVAL_MINUTES``). MoySklad limits and weights are settings because MoySklad changes them
(docs/moysklad.md, "Rate limits and errors").
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings, env_field

DEFAULT_BASE_URL = "https://api.moysklad.ru/api/remap/1.2"


class ConnectorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONNECTOR_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "moysklad-connector"

    port: int = Field(default=8005, ge=1, le=65535)

    # The default integration, from the environment (the integrations API can store another one).
    moysklad_base_url: str = env_field(DEFAULT_BASE_URL, "CONNECTOR_MOYSKLAD_BASE_URL", "MOYSKLAD_BASE_URL")
    moysklad_username: str | None = env_field(None, "CONNECTOR_MOYSKLAD_USERNAME", "MOYSKLAD_USERNAME")
    moysklad_password: SecretStr | None = env_field(None, "CONNECTOR_MOYSKLAD_PASSWORD", "MOYSKLAD_PASSWORD")
    moysklad_token: SecretStr | None = env_field(None, "CONNECTOR_MOYSKLAD_TOKEN", "MOYSKLAD_TOKEN")
    sync_interval_minutes: float = env_field(
        15, "CONNECTOR_SYNC_INTERVAL_MINUTES", "MOYSKLAD_SYNC_INTERVAL_MINUTES", gt=0
    )
    scheduler_enabled: bool = Field(default=True, description="Run the periodic sync inside the server process.")
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    # Key for credentials at rest (Fernet, urlsafe base64 of 32 bytes); derived from SECRET_KEY when unset.
    credentials_key: SecretStr | None = None

    # MoySklad rate limits (docs/moysklad.md, "Rate limits and errors"): a bucket of 45 units per 3 s, 5 requests
    # in flight per user.
    rate_limit_units: int = Field(default=45, ge=1)
    rate_limit_window_ms: int = Field(default=3000, ge=1)
    request_weight: int = Field(default=4, ge=1, description="Units one request costs (Basic/user token: 2..4).")
    stock_report_weight: int = Field(default=5, ge=1)
    # Share of MoySklad's window the connector uses. The client keeps the same sliding window as the server (what it
    # sent in the last 3 s) and counts what each answer's X-RateLimit-Remaining shows beyond its own requests (another
    # client of the same user) as used, so it is never refused for its own requests; 0.9 leaves one request of every
    # window to other clients of the same MoySklad user (docs/moysklad.md, "How the connector paces itself").
    rate_limit_share: float = Field(default=0.9, gt=0, le=1)
    max_parallel_requests: int = Field(default=3, ge=1, le=5)
    max_retries: int = Field(default=6, ge=0)
    backoff_base_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=30.0, gt=0)
    request_timeout_seconds: float = Field(default=120.0, gt=0)
    page_size: int = Field(default=1000, ge=1, le=1000)
    # Incremental paging starts this much before the saved cursor, so an object whose `updated` is written behind
    # the cursor (a slow transaction at MoySklad) is still read; repeats are dropped by their event ids.
    cursor_overlap: timedelta = Field(default=timedelta(0), ge=timedelta(0))

    # Stock (docs/moysklad.md, "Reports"): levels are read after a sync that moved documents, and reconciled on this
    # period anyway (stock also moves through documents the connector does not sync: inventories, write-offs,
    # transfers).
    stock_reconcile_minutes: float = Field(default=60, gt=0)
    stock_report_mode: Literal["all", "nonEmpty"] = Field(
        default="all", description="`stockMode` of the stock reports; `all` keeps reserved/in-transit-only items."
    )

    # Reconciliation (docs/moysklad.md, "Reconciliation"): once a day at this Moscow hour every id at MoySklad is
    # listed and what the connector published as live but MoySklad no longer has is deleted downstream.
    reconcile_enabled: bool = Field(default=True, description="Run the daily reconciliation from the scheduler.")
    reconcile_hour_msk: int = Field(default=4, ge=0, le=23, description="Moscow hour of the daily reconciliation.")
    # A reconciliation that met another sync of the same integration tries again after this delay.
    reconcile_retry_minutes: float = Field(default=10, gt=0)

    # Webhooks (docs/moysklad.md, "Webhooks"): registered at MoySklad only when the public URL of
    # POST /api/v1/integrations/moysklad/webhook is known; they only hint the scheduler to sync sooner.
    public_webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Signs the per-integration webhook tokens; derived from SECRET_KEY when unset."
    )
    # Several replicas (sync/scheduler.py): how often each looks for a sync whose process died, to resume it.
    takeover_check_seconds: float = Field(default=30, gt=0)

    # Hint pacing (the kit's crm_integration.hints): an isolated change syncs after the settle delay; during a burst,
    # hinted syncs are spaced by spacing factor × the previous one's duration, never more than the debounce ceiling.
    webhook_settle_seconds: float = Field(default=0.2, ge=0)
    webhook_spacing_factor: float = Field(default=1.0, ge=0)
    webhook_debounce_seconds: float = Field(
        default=5.0, ge=0, description="The longest a hint waits for its sync when syncs follow each other closely."
    )

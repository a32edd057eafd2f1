"""Settings of the Bitrix24 connector (env prefix ``BITRIX24_CONNECTOR_``).

Bitrix24's limits are settings because plans differ and Bitrix24 changes them (docs/bitrix24.md, "Limits at a
glance"): a leaky bucket of 2 requests/s with a burst of 50 on ordinary plans, 5/250 on Enterprise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from crm_common.settings import ServiceSettings

# (requests drained per second, burst) per plan (docs/bitrix24.md, "Limits")
PLANS = {"standard": (2.0, 50), "enterprise": (5.0, 250)}


class ConnectorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BITRIX24_CONNECTOR_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "bitrix24-connector"

    port: int = Field(default=8006, ge=1, le=65535)

    # The default integration, from the environment: the incoming-webhook URL is the secret
    # (https://<portal>/rest/<user_id>/<code>/).
    webhook_url: SecretStr | None = None
    sync_interval_minutes: float = Field(default=15, gt=0)
    scheduler_enabled: bool = Field(default=True, description="Run the periodic sync inside the server process.")
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    credentials_key: SecretStr | None = None  # Fernet key; derived from SECRET_KEY when unset

    # The leaky bucket (docs/bitrix24.md, "Limits"): `plan` picks the documented pair; the client keeps a share.
    plan: Literal["standard", "enterprise"] = "standard"
    rate_limit_share: float = Field(default=0.9, gt=0, le=1)
    max_parallel_requests: int = Field(default=2, ge=1, le=10)
    max_retries: int = Field(default=8, ge=0)
    backoff_base_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=30.0, gt=0)
    request_timeout_seconds: float = Field(default=60.0, gt=0)  # Bitrix24 ends a request at 60 s
    # Increments read `>=DATE_MODIFY` from this much before the saved mark: a record saved late behind the mark is
    # read again; repeats carry the same event ids.
    cursor_overlap: timedelta = Field(default=timedelta(seconds=10), ge=timedelta(0))

    # The daily reconciliation of deletes, at a Moscow hour (the portal's zone in the simulator).
    reconcile_enabled: bool = True
    reconcile_hour_msk: int = Field(default=4, ge=0, le=23)
    reconcile_retry_minutes: float = Field(default=10, gt=0)

    # Outbound events (docs/bitrix24.md, "Events"): bound with event.bind when the public URL of
    # POST /api/v1/integrations/bitrix24/webhook is known; they only hint the scheduler.
    public_webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    # `auth[application_token]` the portal sends with its events, when not stored with the integration.
    application_token: SecretStr | None = None
    takeover_check_seconds: float = Field(default=30, gt=0)
    webhook_settle_seconds: float = Field(default=0.5, ge=0)
    webhook_spacing_factor: float = Field(default=1.0, ge=0)
    webhook_debounce_seconds: float = Field(default=5.0, ge=0)

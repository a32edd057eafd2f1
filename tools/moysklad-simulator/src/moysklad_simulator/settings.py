"""Simulator settings (env prefix ``MOYSKLAD_SIM_``).

MoySklad changes its limits and weights from time to time, so every number that the real service
enforces is a setting here, with the value given in docs/moysklad.md ("Rate limits and errors") as the
default.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Scale(StrEnum):
    """How big the generated shop is."""

    tiny = "tiny"
    demo = "demo"
    small = "small"
    medium = "medium"
    large = "large"


# products, counterparties, documents per month (roughly)
SCALE_SIZES: dict[Scale, tuple[int, int, int]] = {
    Scale.tiny: (30, 10, 15),
    Scale.demo: (200, 40, 90),
    Scale.small: (2_000, 300, 600),
    Scale.medium: (20_000, 2_000, 4_000),
    Scale.large: (100_000, 10_000, 20_000),
}


class Settings(BaseSettings):
    """Everything the simulator can be told at start-up."""

    model_config = SettingsConfigDict(env_prefix="MOYSKLAD_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8090
    login: str = "admin@demo"
    password: SecretStr = SecretStr("demo-password")
    # A fixed token valid from start-up, so that clients need not call /security/token first.
    token: SecretStr = SecretStr("0123456789abcdef0123456789abcdef01234567")
    # MoySklad revokes every previous token when a new one is issued (docs/moysklad.md, "Authentication"). Set this
    # to keep the fixed dev token valid anyway.
    dev_token_survives_reissue: bool = False

    scale: Scale = Scale.demo
    seed: int = 42
    # Generated history ends at this moment (MSK, "YYYY-MM-DD HH:MM:SS"); default: today's midnight MSK.
    anchor: str | None = None
    history_months: int = 13

    # Hrefs are rendered with the base URL the client used; set this to force another one.
    public_base_url: str | None = None

    live: bool = False
    # Reuse filtered and ordered lists between requests (listing.ListCache). Valid while records change only through
    # the simulator itself (its API, live mode): on in the `serve` command, whose state nothing else can reach; off
    # by default in-process, where tests edit records directly.
    list_cache: bool = False
    live_interval_seconds: float = Field(default=2.0, gt=0)

    # Rate limits (docs/moysklad.md, "Rate limits and errors")
    rate_limit_units: int = 45
    rate_limit_window_ms: int = 3000
    # Login/password and user tokens weigh 4 units since 2026-12-01 (2 from 2026-05-12, 3 from 2026-09-01).
    weight_basic: int = 4
    weight_user_token: int = 4
    weight_stock_report: int = 5
    parallel_per_user: int = 5
    rate_limits_enabled: bool = True

    # Fault injection defaults (changeable at run time via PUT /__sim/faults)
    fault_429_probability: float = Field(default=0.0, ge=0, le=1)
    fault_500_probability: float = Field(default=0.0, ge=0, le=1)
    fault_drop_probability: float = Field(default=0.0, ge=0, le=1)
    fault_latency_ms: int = Field(default=0, ge=0)

    # Webhook delivery (docs/moysklad.md, "Webhooks")
    webhook_timeout_ms: int = 1500
    webhook_retries: int = 3

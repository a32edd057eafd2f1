"""Simulator settings (env prefix ``BITRIX24_SIM_``).

Every limit Bitrix24 enforces is a setting with the documented cloud value as default (docs/bitrix24.md, "Limits"),
and each can be switched off so that fast tests do not wait for a bucket to drain.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Scale(StrEnum):
    """How big the generated portal is."""

    tiny = "tiny"
    demo = "demo"
    large = "large"


class Tariff(StrEnum):
    """Plans with different leaky-bucket parameters (https://apidocs.bitrix24.com/limits.html)."""

    standard = "standard"
    enterprise = "enterprise"


# (MoySklad simulator scale the shared customers come from, extra contacts, extra companies, deals)
SCALE_SIZES: dict[Scale, tuple[str, int, int, int]] = {
    Scale.tiny: ("tiny", 8, 4, 40),
    Scale.demo: ("demo", 120, 40, 600),
    Scale.large: ("small", 4_000, 1_200, 25_000),
}

# Leaky bucket per tariff: (requests drained per second `Y`, counter threshold `X`)
BUCKETS: dict[Tariff, tuple[float, int]] = {Tariff.standard: (2.0, 50), Tariff.enterprise: (5.0, 250)}


class Settings(BaseSettings):
    """Everything the simulator can be told at start-up."""

    model_config = SettingsConfigDict(env_prefix="BITRIX24_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8091
    # The portal's own address, as it appears in event payloads (`auth[domain]`, `client_endpoint`).
    domain: str = "demo.bitrix24.ru"
    # The incoming webhook: /rest/<webhook_user_id>/<webhook_code>/<method>
    webhook_user_id: int = 1
    webhook_code: SecretStr = SecretStr("b24simdemo0123456789")
    # Sent as `auth[application_token]` with every outbound event so a handler can tell real events from forged ones.
    application_token: SecretStr = SecretStr("0123456789abcdef0123456789abcdef")

    scale: Scale = Scale.demo
    seed: int = 42
    # Generated history ends at this moment (Moscow wall time, "YYYY-MM-DD HH:MM:SS"); default: today's midnight.
    # The same value given to the MoySklad simulator yields the same shared customers.
    anchor: str | None = None
    history_months: int = Field(default=6, ge=1)
    # Share of the MoySklad simulator's counterparties that also exist in this portal.
    overlap_share: float = Field(default=0.5, ge=0, le=1)

    live: bool = False
    live_interval_seconds: float = Field(default=2.0, gt=0)

    # Leaky bucket (https://apidocs.bitrix24.com/limits.html, "Request Rate Limits")
    tariff: Tariff = Tariff.standard
    rate_limits_enabled: bool = True
    # Method time limit: `operating` seconds per method and webhook over ten one-minute baskets.
    operating_limit_enabled: bool = True
    operating_limit_seconds: float = Field(default=480.0, gt=0)
    operating_window_seconds: int = Field(default=600, gt=0)
    # Seconds charged per call on top of the measured time: lets a test reach the limit without slow calls.
    operating_seconds_per_call: float = Field(default=0.0, ge=0)

    # Fault injection defaults (changeable at run time via PUT /__sim/faults)
    fault_503_probability: float = Field(default=0.0, ge=0, le=1)
    fault_500_probability: float = Field(default=0.0, ge=0, le=1)
    fault_drop_probability: float = Field(default=0.0, ge=0, le=1)
    fault_latency_ms: int = Field(default=0, ge=0)

    # Outbound event delivery
    event_timeout_ms: int = Field(default=3000, gt=0)

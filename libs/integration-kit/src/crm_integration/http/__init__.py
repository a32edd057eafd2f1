"""A rate-limit-aware HTTP client: the generic pacing, retry and backoff; each source states its own limit rules."""

from crm_integration.http.client import ClientMetrics, LimitPolicy, PacedClient, RetryConfig, Verdict
from crm_integration.http.pacing import RateGate, WindowGate, backoff_delay

__all__ = [
    "ClientMetrics",
    "LimitPolicy",
    "PacedClient",
    "RateGate",
    "RetryConfig",
    "Verdict",
    "WindowGate",
    "backoff_delay",
]

"""Prometheus metrics of the connector (prefix ``crm_moysklad_``), served on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from crm_integration.http import ClientMetrics

REQUESTS = Counter("crm_moysklad_requests_total", "Requests sent to MoySklad", ["method", "status"])
REQUEST_SECONDS = Histogram("crm_moysklad_request_seconds", "Duration of one MoySklad request", ["method"])
RATE_LIMITED = Counter("crm_moysklad_rate_limited_total", "429 answers from MoySklad", ["kind"])
RETRIES = Counter("crm_moysklad_retries_total", "Requests retried after a 429, a 5xx or a transport error", ["reason"])
EVENTS_PUBLISHED = Counter("crm_moysklad_events_published_total", "Events published to Kafka", ["event_type"])
DEAD_LETTERS = Counter("crm_moysklad_dead_letters_total", "MoySklad objects the mapper could not read", ["entity_type"])
SYNC_JOBS = Counter("crm_moysklad_sync_jobs_total", "Sync jobs finished", ["mode", "status"])
SYNC_LAG = Gauge(
    "crm_moysklad_sync_lag_seconds", "Seconds since the last successful sync of an integration", ["integration"]
)
LAST_SYNC = Gauge("crm_moysklad_last_sync_timestamp_seconds", "Unix time of the last successful sync", ["integration"])
WEBHOOKS = Counter("crm_moysklad_webhooks_total", "Webhook notifications received", ["outcome"])

# What the kit's paced client counts, under the names above.
CLIENT = ClientMetrics(requests=REQUESTS, request_seconds=REQUEST_SECONDS, rate_limited=RATE_LIMITED, retries=RETRIES)

"""Prometheus metrics of the connector (prefix ``crm_bitrix24_``), served on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from crm_integration.http import ClientMetrics

REQUESTS = Counter("crm_bitrix24_requests_total", "Requests sent to Bitrix24", ["method", "status"])
REQUEST_SECONDS = Histogram("crm_bitrix24_request_seconds", "Duration of one Bitrix24 request", ["method"])
RATE_LIMITED = Counter("crm_bitrix24_rate_limited_total", "Limit answers from Bitrix24 (503, 429)", ["kind"])
RETRIES = Counter(
    "crm_bitrix24_retries_total", "Requests retried after a limit, a 5xx or a transport error", ["reason"]
)
OPERATING_HELD = Counter(
    "crm_bitrix24_operating_held_total",
    "Calls refused with 429 OPERATION_TIME_LIMIT and sent again after their method's operating_reset_at",
    ["method"],
)
EVENTS_PUBLISHED = Counter("crm_bitrix24_events_published_total", "Events published to Kafka", ["event_type"])
SKIPPED = Counter("crm_bitrix24_skipped_objects_total", "Bitrix24 records the mapper could not read", ["entity_type"])
SYNC_JOBS = Counter("crm_bitrix24_sync_jobs_total", "Sync jobs finished", ["mode", "status"])
LAST_SYNC = Gauge("crm_bitrix24_last_sync_timestamp_seconds", "Unix time of the last successful sync", ["integration"])
WEBHOOKS = Counter("crm_bitrix24_webhooks_total", "Outbound events received from portals", ["outcome"])

CLIENT = ClientMetrics(requests=REQUESTS, request_seconds=REQUEST_SECONDS, rate_limited=RATE_LIMITED, retries=RETRIES)

"""The workspace's test support (docs/architecture.md, "Tests"): a pytest plugin, never a runtime dependency.

``from crm_testing import ...`` gives the helpers; a service's conftest declares a ``ServiceUnderTest`` and gets the
shared fixtures (``crm_testing.plugin``).
"""

from crm_testing.bodies import assert_model_bytes
from crm_testing.db import apply, autovacuum_off, plan, slow_commits, stale_statistics, truncate
from crm_testing.events import (
    ACCOUNT,
    BASE_TIME,
    at,
    deleted_event,
    folder_event,
    new_id,
    product_event,
    variant_event,
)
from crm_testing.infra import (
    free_port,
    kafka_servers,
    redis_url,
    serve_in_thread,
    test_database_url,
    unique_topic_prefix,
    use_test_environment,
)
from crm_testing.kafka import latest_state, publish, read_events, topic_reader, wait_drained
from crm_testing.service import ServiceUnderTest
from crm_testing.tokens import KID, TokenMint, assert_logout_refused
from crm_testing.waiting import FakeClock, eventually

__all__ = [
    "ACCOUNT",
    "BASE_TIME",
    "KID",
    "FakeClock",
    "ServiceUnderTest",
    "TokenMint",
    "apply",
    "assert_logout_refused",
    "assert_model_bytes",
    "at",
    "autovacuum_off",
    "deleted_event",
    "eventually",
    "folder_event",
    "free_port",
    "kafka_servers",
    "latest_state",
    "new_id",
    "plan",
    "product_event",
    "publish",
    "read_events",
    "redis_url",
    "serve_in_thread",
    "slow_commits",
    "stale_statistics",
    "test_database_url",
    "topic_reader",
    "truncate",
    "unique_topic_prefix",
    "use_test_environment",
    "variant_event",
    "wait_drained",
]

"""Cached reports are kept apart per database: equal checkpoint tokens in two databases must not share a report."""

from __future__ import annotations

from analytics_service.cache import cache_prefix


def test_two_databases_get_two_cache_prefixes() -> None:
    first = cache_prefix("postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm_e2e_1")
    second = cache_prefix("postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm_e2e_2")
    assert first != second
    assert first.startswith("analytics:report:")

"""Analytics refuses a logged-out token itself, not only behind the gateway (defence in depth)."""

from __future__ import annotations

import httpx
from analytics_testkit import TokenMint

from analytics_service.settings import AnalyticsSettings
from crm_testing import assert_logout_refused


async def test_a_logged_out_token_gets_401_from_analytics_directly(
    api: httpx.AsyncClient, mint: TokenMint, settings: AnalyticsSettings
) -> None:
    await assert_logout_refused(api, "/api/v1/analytics/dashboard", mint.token("analytics:read"), settings.redis_url)

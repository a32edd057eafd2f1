"""The catalog refuses a logged-out token itself, not only behind the gateway (defence in depth)."""

from __future__ import annotations

import httpx
from catalog_testkit import TokenMint

from catalog_service.settings import CatalogSettings
from crm_testing import assert_logout_refused


async def test_a_logged_out_token_gets_401_from_the_catalog_directly(api_url: str, mint: TokenMint) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        await assert_logout_refused(
            client, "/api/v1/products/", mint.token("products:read"), CatalogSettings().redis_url
        )

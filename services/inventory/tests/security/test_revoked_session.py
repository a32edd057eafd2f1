"""Inventory refuses a logged-out token itself, not only behind the gateway (defence in depth)."""

from __future__ import annotations

import httpx
from inventory_testkit import TokenMint

from crm_testing import assert_logout_refused
from inventory_service.settings import InventorySettings


async def test_a_logged_out_token_gets_401_from_inventory_directly(api_url: str, mint: TokenMint) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        await assert_logout_refused(
            client, "/api/v1/inventory/stores", mint.token("inventory:read"), InventorySettings().redis_url
        )

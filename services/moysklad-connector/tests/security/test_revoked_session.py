"""The connector refuses a logged-out token itself, not only behind the gateway (defence in depth)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from connector_testkit import TokenMint, connector_settings

from crm_testing import assert_logout_refused, serve_in_thread
from moysklad_connector.app import create_app

mint = TokenMint()


@pytest.fixture(scope="module")
def api(migrated: None) -> Iterator[str]:
    with serve_in_thread(create_app(connector_settings(create_topics=False), token_verifier=mint.verifier)) as url:
        yield url


async def test_a_logged_out_token_gets_401_from_the_connector_directly(api: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=10) as client:
        await assert_logout_refused(
            client, "/api/v1/admin/sync/jobs", mint.token("sync:run"), connector_settings().redis_url
        )

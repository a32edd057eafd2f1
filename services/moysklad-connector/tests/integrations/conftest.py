"""The connector's HTTP API on a real socket, trusting ``ADMIN_MINT``'s tokens (shared by the integrations tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connector_testkit import ADMIN_MINT, connector_settings

from crm_common.testing import serve_in_thread
from moysklad_connector.app import create_app


@pytest.fixture(scope="module")
def api(migrated: None) -> Iterator[str]:
    app = create_app(connector_settings(create_topics=False), token_verifier=ADMIN_MINT.verifier)
    with serve_in_thread(app) as url:
        yield url

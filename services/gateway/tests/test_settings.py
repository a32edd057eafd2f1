"""The gateway's settings refuse at start-up what its proxy cannot reach."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway_service.proxy.forward import _address
from gateway_service.settings import GatewaySettings


@pytest.mark.parametrize("url", ["https://catalog:8002", "catalog:8002", "http://", "http://catalog:8002/?x=1"])
def test_an_upstream_the_proxy_cannot_speak_to_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="plain HTTP inside the cluster"):
        GatewaySettings(catalog_url=url)


def test_an_upstream_may_carry_a_path_prefix_and_a_trailing_slash() -> None:
    settings = GatewaySettings(catalog_url="http://catalog.crm.svc:8002/base/", analytics_url="http://analytics")
    assert settings.catalog_url == "http://catalog.crm.svc:8002/base"
    assert _address(settings.catalog_url) == ("catalog.crm.svc", 8002, b"catalog.crm.svc:8002", b"/base")
    assert _address(settings.analytics_url) == ("analytics", 80, b"analytics", b"")

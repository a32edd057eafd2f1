"""The pytest plugin (entry point ``pytest11``): a conftest that declares ``SERVICE_UNDER_TEST`` gets the shared
fixtures built from it, and the test environment set before any test module of its directory is imported
(docs/architecture.md, "Tests")."""

from __future__ import annotations

import os
from typing import Any

import pytest
from _pytest.fixtures import FixtureFunctionDefinition  # what @pytest.fixture makes (pytest >= 8.4)

DESCRIPTOR = "SERVICE_UNDER_TEST"


def pytest_configure(config: pytest.Config) -> None:
    """Every test process: apps started in it do not freeze the heap (``GC_FREEZE``, crm_common.service): a test
    process starts many apps, and each freeze would keep the cycles of what was alive at that moment for good."""
    os.environ.setdefault("GC_FREEZE", "false")


@pytest.hookimpl(tryfirst=True)
def pytest_plugin_registered(plugin: Any, plugin_name: str, manager: pytest.PytestPluginManager) -> None:
    """Before pytest reads a conftest's fixtures: add the generated ones it does not define itself."""
    if not (plugin_name or "").endswith("conftest.py") or not hasattr(plugin, DESCRIPTOR):
        return
    from crm_testing.fixtures import service_fixtures
    from crm_testing.infra import use_test_environment
    from crm_testing.service import ServiceUnderTest

    service = getattr(plugin, DESCRIPTOR)
    if not isinstance(service, ServiceUnderTest):
        raise pytest.UsageError(
            f"{plugin_name}: {DESCRIPTOR} must be a crm_testing.ServiceUnderTest, not {type(service).__name__}"
        )
    use_test_environment(redis=service.redis, extra=service.environment)
    for name, fixture in service_fixtures(service).items():
        own = getattr(plugin, name, None)
        if own is None:
            setattr(plugin, name, fixture)
        elif not isinstance(own, FixtureFunctionDefinition):
            # a module or variable of that name would silently hide the fixture the tests ask for
            raise pytest.UsageError(
                f"{plugin_name}: {name!r} is the name of a shared fixture; rename this {type(own).__name__}"
            )

"""crm-common's parts import with only the dependencies their extra promises (libs/common/pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DATABASE = ["sqlalchemy", "asyncpg", "alembic"]
MESSAGING = ["faststream", "aiokafka"]
WEB = ["fastapi", "starlette", "uvicorn", "prometheus_client"]
CORE_MODULES = [
    "crm_common.settings",
    "crm_common.errors",
    "crm_common.logging",
    "crm_common.events.envelope",
    "crm_common.events.models",
    "crm_common.events.topics",
    "crm_common.security.jwt",
    "crm_common.security.revocation",
]
WEB_MODULES = ["crm_common.web.app", "crm_common.security.permissions", "crm_common.security"]

# Runs in a fresh interpreter: the packages of the extras not installed are made unimportable, then the modules load.
IMPORT_WITHOUT = """
import importlib, sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
for module in {modules!r}:
    importlib.import_module(module)
"""


def import_without(blocked: list[str], modules: list[str]) -> subprocess.CompletedProcess[str]:
    code = IMPORT_WITHOUT.format(blocked=set(blocked), modules=modules)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_the_core_needs_no_extra(module: str) -> None:
    done = import_without(DATABASE + MESSAGING + WEB, [module])
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", WEB_MODULES)
def test_the_web_part_needs_neither_database_nor_messaging(module: str) -> None:
    done = import_without(DATABASE + MESSAGING, [module])
    assert done.returncode == 0, done.stderr


def test_the_blocker_blocks() -> None:
    done = import_without(DATABASE, ["crm_common.db"])
    assert done.returncode != 0
    assert "No module named 'sqlalchemy" in done.stderr or "No module named 'asyncpg" in done.stderr


def declared_modules(extras: set[str]) -> set[str]:
    """Top-level modules of what crm-common with ``extras`` declares, followed transitively through the installed
    distributions' own requirements (the set an image built from the lock file gets)."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("crm-common", frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        key = canonicalize_name(name)
        if key in seen:
            continue
        seen.add(key)
        try:
            requirements = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in requirements:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is not None and not any(marker.evaluate({"extra": e}) for e in (*wanted, "")):
                continue
            todo.append((requirement.name, frozenset(requirement.extras)))
    return {
        module
        for module, distributions in packages_distributions().items()
        if any(canonicalize_name(d) in seen for d in distributions)
    }


def undeclared(extras: set[str]) -> list[str]:
    from importlib.metadata import packages_distributions

    allowed = declared_modules(extras) | {"crm_common"}
    return sorted(m for m in packages_distributions() if m not in allowed and not m.startswith("_"))


@pytest.mark.parametrize(
    ("extras", "modules"),
    [
        ({"database"}, ["crm_common.db", "crm_common.migrations"]),
        ({"web"}, WEB_MODULES),
        ({"database", "messaging"}, ["crm_common.versioned", "crm_common.messaging.inbox"]),
        ({"database", "messaging", "web"}, ["crm_common.runtime", "crm_common.cli", "crm_common.service"]),
    ],
)
def test_each_part_imports_with_only_what_its_extras_declare(extras: set[str], modules: list[str]) -> None:
    """What the workspace happens to have installed (every service's dependencies) must not hide a missing
    declaration: the image of a service that does not import orjson itself once lacked it for crm_common.db."""
    done = import_without(undeclared(extras), modules)
    assert done.returncode == 0, done.stderr

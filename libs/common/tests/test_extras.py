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
    assert "No module named 'sqlalchemy" in done.stderr

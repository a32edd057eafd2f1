"""The services as of an earlier commit, run next to the current ones: before and after in the same run.

``unpack(ref, into, services)`` puts crm-common's and the services' sources as of ``ref`` under ``into`` (``git
archive``: no worktree, the repository is untouched); ``before_path(env, into, services)`` is an environment whose
``PYTHONPATH`` puts them first, so ``crm-<service> serve`` runs that code over the same installed dependencies.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path


def _sources(services: Iterable[str]) -> list[str]:
    return ["libs/common/src", *(f"services/{service}/src" for service in services)]


def unpack(ref: str, into: Path, services: Iterable[str]) -> None:
    into.mkdir()
    archive = subprocess.run(["git", "archive", ref, *_sources(services)], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def before_path(env: dict[str, str], into: Path, services: Iterable[str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": os.pathsep.join(str(into / path) for path in _sources(services))}

"""Where MoySklad's official OpenAPI spec is found, and what happens when it is not.

The spec is not vendored (it is large and MoySklad's to publish). It is looked up, in order, at the path in
``MOYSKLAD_OPENAPI_SPEC`` and at ``../shared/moysklad/openapi/openapi.yaml`` next to the repository root. A
developer without it sees a skip; CI (``CI=true``) fails instead, so the conformance tier cannot go quiet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
ENV_VAR = "MOYSKLAD_OPENAPI_SPEC"
RELATIVE = Path("..") / "shared" / "moysklad" / "openapi" / "openapi.yaml"


def candidates(env: Mapping[str, str], repo_root: Path = REPO_ROOT) -> list[Path]:
    found = [Path(env[ENV_VAR]).expanduser()] if env.get(ENV_VAR) else []
    return [*found, (repo_root / RELATIVE).resolve()]


def in_ci(env: Mapping[str, str]) -> bool:
    return env.get("CI", "").strip().lower() in {"1", "true", "yes"}


def locate(env: Mapping[str, str] = os.environ, repo_root: Path = REPO_ROOT) -> Path:
    """The spec's path; skips the calling test locally when it is missing, fails it under CI."""
    tried = candidates(env, repo_root)
    for path in tried:
        if path.is_file():
            return path
    reason = f"MoySklad OpenAPI spec not found (set {ENV_VAR}); tried: {', '.join(map(str, tried))}"
    if in_ci(env):
        pytest.fail(reason)
    pytest.skip(reason)

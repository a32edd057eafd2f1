"""The conformance tier finds the official spec from a clean clone, and CI fails rather than skips without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec import ENV_VAR, locate


def _spec(root: Path) -> Path:
    path = root / "shared" / "moysklad" / "openapi" / "openapi.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("openapi: 3.0.0\n")
    return path


def test_the_spec_is_found_next_to_the_repository_root(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    repo = tmp_path / "crm"
    repo.mkdir()

    assert locate({}, repo) == spec.resolve()


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    _spec(tmp_path)
    other = tmp_path / "elsewhere.yaml"
    other.write_text("openapi: 3.0.0\n")

    assert locate({ENV_VAR: str(other)}, tmp_path / "crm") == other


def test_a_missing_spec_fails_under_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="not found"):
        locate({"CI": "true"}, tmp_path / "crm")


def test_a_missing_spec_skips_outside_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception):
        locate({}, tmp_path / "crm")


def test_this_checkout_finds_the_spec_when_ci_says_it_must() -> None:
    """In CI the spec sits at ../shared next to the clone (or in the env var); then this resolves."""
    import os

    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("only meaningful in CI")
    assert locate().is_file()

"""The plugin stays out of production (docs/architecture.md, "Tests"): a development dependency of the workspace
only, never a runtime dependency of a package an image installs, and never sent to an image build."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[3]


def project(path: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text())


def members() -> list[Path]:
    patterns = project(ROOT / "pyproject.toml")["tool"]["uv"]["workspace"]["members"]
    return sorted(p for pattern in patterns for p in ROOT.glob(pattern) if (p / "pyproject.toml").is_file())


def runtime_requirements(path: Path) -> set[str]:
    table = project(path / "pyproject.toml")["project"]
    names = {Requirement(r).name for r in table.get("dependencies", [])}
    for extra in table.get("optional-dependencies", {}).values():
        names |= {Requirement(r).name for r in extra}
    return names


def test_no_workspace_package_needs_the_plugin_at_run_time() -> None:
    needing = [str(p.relative_to(ROOT)) for p in members() if "crm-testing" in runtime_requirements(p)]
    assert len(members()) > 10
    assert needing == []


def test_the_workspace_has_it_as_a_development_dependency_only() -> None:
    root = project(ROOT / "pyproject.toml")
    assert "crm-testing" in {Requirement(r).name for r in root["dependency-groups"]["dev"]}
    assert "crm-testing" not in {Requirement(r).name for r in root["project"]["dependencies"]}


def test_no_image_build_context_lets_it_in() -> None:
    allowed = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    assert allowed
    assert not [line for line in allowed if "libs/testing" in line or line.startswith("!libs/*")]

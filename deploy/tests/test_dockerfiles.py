"""Every image: hadolint-clean, multi-stage, non-root, no uv or build tools in the final stage, right entry point."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = {  # Dockerfile directory -> (console script, port)
    "services/gateway": ("crm-gateway", 8000),
    "services/auth": ("crm-auth", 8001),
    "services/catalog": ("crm-catalog", 8002),
    "services/inventory": ("crm-inventory", 8003),
    "services/analytics": ("crm-analytics", 8004),
    "services/moysklad-connector": ("crm-moysklad-connector", 8005),
    "services/bitrix24-connector": ("crm-bitrix24-connector", 8006),
    "tools/moysklad-simulator": ("moysklad-simulator", 8090),
}


def stages(text: str) -> list[str]:
    return re.split(r"(?im)^FROM\s", text)[1:]


@pytest.mark.parametrize("directory", IMAGES)
def test_dockerfile_passes_hadolint(tools: Any, directory: str) -> None:
    result = tools.run(tools.hadolint, "--no-color", ROOT / directory / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_bad_dockerfile(tools: Any, tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\n")
    assert tools.run(tools.hadolint, "--no-color", bad).returncode != 0


@pytest.mark.parametrize("directory", IMAGES)
def test_final_stage_is_slim_non_root_and_carries_no_build_tools(directory: str) -> None:
    text = (ROOT / directory / "Dockerfile").read_text()
    parts = stages(text)
    assert len(parts) >= 3, "uv, build and runtime stages"
    final = parts[-1]
    assert final.startswith("${PYTHON_IMAGE} AS runtime")
    assert re.search(r"(?m)^ARG PYTHON_IMAGE=python:3\.11[\w.]*-slim", text)
    assert re.search(r"(?m)^USER 10001:10001$", final)
    assert "uv" not in re.findall(r"(?m)^COPY --from=(\S+)", final)
    assert not re.search(r"apt-get|pip install|build-essential|gcc", final)
    assert re.findall(r"(?m)^COPY --from=(\S+) ", final) == ["build"]


@pytest.mark.parametrize(("directory", "expected"), IMAGES.items())
def test_entry_point_is_the_package_console_script_on_its_port(directory: str, expected: tuple[str, int]) -> None:
    script, port = expected
    text = (ROOT / directory / "Dockerfile").read_text()
    scripts = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]["scripts"]
    assert script in scripts
    assert f'ENTRYPOINT ["{script}"]' in text
    assert re.search(rf"(?m)^EXPOSE {port}$", text)
    assert f"127.0.0.1:{port}/" in text  # HEALTHCHECK
    package = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]["name"]
    assert f"--package {package}" in text


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[next(i for i, line in enumerate(lines) if not line.startswith("#"))] == "**"
    assert "**/.env" in lines
    assert not any(line.startswith("!.local") or line.startswith("!.venv") for line in lines)


WORKSPACE_LIBS = {"crm-common": "libs/common", "crm-integration-kit": "libs/integration-kit"}


def workspace_libs(directory: str) -> set[str]:
    """The workspace libraries a package depends on, directly or through another library (their directories)."""
    found: set[str] = set()
    todo = [directory]
    while todo:
        project = tomllib.loads((ROOT / todo.pop() / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            name = re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0]
            if name in WORKSPACE_LIBS and WORKSPACE_LIBS[name] not in found:
                found.add(WORKSPACE_LIBS[name])
                todo.append(WORKSPACE_LIBS[name])
    return found


def test_the_connector_image_needs_the_integration_kit() -> None:
    assert workspace_libs("services/moysklad-connector") == {"libs/common", "libs/integration-kit"}


@pytest.mark.parametrize("directory", IMAGES)
def test_the_image_copies_every_workspace_library_its_package_uses(directory: str) -> None:
    text = (ROOT / directory / "Dockerfile").read_text()
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for lib in workspace_libs(directory):
        assert re.search(rf"(?m)^COPY {lib} {lib}$", text), f"{directory}/Dockerfile does not copy {lib}"
        assert f"!{lib}/pyproject.toml" in ignore, f".dockerignore leaves {lib}/pyproject.toml out"
        assert f"!{lib}/src/**" in ignore, f".dockerignore leaves {lib}/src out"

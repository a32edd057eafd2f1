"""Mutation testing of the core: money, Moscow time, versioned writes, the JWT verifier, session revocation.

    python scripts/mutation/run.py [--max-children 1] [--keep]

mutmut 3 copies the code it mutates into ``mutants/`` and puts that copy first on ``sys.path``; it cannot shadow the
workspace's editable installs, and it only knows the ``./``, ``src/`` layouts. So this script builds its own world
under ``.local/mutation/``: a virtualenv with the locked third-party dependencies and mutmut (no workspace package
installed), and a staging tree with every workspace package under ``src/`` and the test directories they need under
``tests/``. mutmut runs there; the workspace itself is never modified.

It prints the score per module ((killed + timed out) / (mutants − equivalent)) and every surviving mutant as a diff.
Mutants listed in ``scripts/mutation/equivalent.txt`` (function, fingerprint of the changed lines, one-line reason)
count as equivalent. The fingerprint ties an entry to that exact change, so after the code changes a new mutant
cannot hide behind an old entry; it shows as a survivor until someone re-checks it. Exit status 1 if a mutant
survives. The tests run against the real Redis and
PostgreSQL of ``scripts/infra/infra.sh`` (``make mutation`` starts them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HOME = ROOT / ".local" / "mutation"
VENV = HOME / "venv"
WORK = HOME / "work"
MUTMUT = "mutmut==3.8.1"

# The modules under test, as paths inside the staging tree's src/ (i.e. inside their package's src/).
MODULES = [
    "crm_common/versioned.py",
    "crm_common/security/jwt.py",
    "crm_common/security/revocation.py",
    "crm_common/events/models.py",
    "moysklad_connector/mapping/common.py",
    "analytics_service/periods.py",
]
# The tests that kill them; mutmut runs, for each mutant, only those of these that reach the mutated function.
TESTS = [
    "libs/common/tests/test_versioned.py",
    "libs/common/tests/security/test_jwt.py",
    "libs/common/tests/security/test_jwks.py",
    "libs/common/tests/security/test_session_check.py",
    "services/moysklad-connector/tests/mapping/test_common.py",
    "services/analytics/tests/test_periods.py",
]
PACKAGE_SOURCES = ["libs/*/src/*", "services/*/src/*", "tools/*/src/*"]
# mutmut's exit codes per mutant (mutmut/stats.py): 1 killed, 0 survived, 33 no test reaches it, 36/-24 timeout.
KILLED, SURVIVED, NO_TESTS = 1, 0, 33
TIMEOUTS = {36, -24}
PYPROJECT = """\
[tool.mutmut]
source_paths = ["src"]
only_mutate = {only}
pytest_add_cli_args_test_selection = {tests}
pytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-x"]
# Log calls are for operators; no behaviour depends on their text, so they are not mutated.
do_not_mutate_patterns = ['^\\s*log\\.(debug|info|warning|error|exception)\\(']
use_git_change_detection = false

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "session"
asyncio_default_test_loop_scope = "session"
timeout = 120
addopts = "--import-mode=importlib"
"""


def run(*cmd: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True)


def build_venv() -> None:
    """The locked third-party dependencies of every workspace package, plus mutmut; the workspace stays out."""
    HOME.mkdir(parents=True, exist_ok=True)
    requirements = HOME / "requirements.txt"
    run("uv", "export", "--frozen", "--all-packages", "--no-emit-workspace", "--no-hashes", "--group", "dev",
        "--quiet", "-o", requirements)  # fmt: skip
    if not (VENV / "bin" / "python").exists():
        run("uv", "venv", "--quiet", "--python", "3.11", VENV)
    env = {**os.environ, "VIRTUAL_ENV": str(VENV)}
    run("uv", "pip", "install", "--quiet", "-r", requirements, MUTMUT, env=env)


def stage() -> None:
    """A fresh staging tree: src/<package> for every workspace package, tests/ as in the repository."""
    shutil.rmtree(WORK, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for pattern in PACKAGE_SOURCES:
        for package in sorted(ROOT.glob(pattern)):
            if package.is_dir():
                shutil.copytree(package, WORK / "src" / package.name, ignore=ignore)
    for root in sorted({t[: t.index("tests/") + len("tests")] for t in TESTS}):  # whole dirs: conftests, testkits
        shutil.copytree(ROOT / root, WORK / "tests" / root, ignore=ignore)
    only = json.dumps([f"src/{m}" for m in MODULES])
    tests = json.dumps([f"tests/{t}" for t in TESTS])
    (WORK / "pyproject.toml").write_text(PYPROJECT.format(only=only, tests=tests))


def load_equivalents() -> dict[tuple[str, str], str]:
    """``function fingerprint reason...`` per line of equivalent.txt (``#`` starts a comment line) → reason."""
    found = {}
    for line in (HERE / "equivalent.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            function, fingerprint, reason = line.split(maxsplit=2)
            found[function, fingerprint] = reason
    return found


def mutmut(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    subprocess.run([str(VENV / "bin" / "mutmut"), *args], cwd=WORK, env=env, check=True)


def diffs_of(names_by_module: dict[str, list[str]]) -> dict[str, str]:
    """The diff of each named mutant, computed by mutmut in one process (scripts/mutation/diffs.py)."""
    wanted = json.dumps({f"src/{module}": names for module, names in names_by_module.items()})
    done = subprocess.run(
        [str(VENV / "bin" / "python"), str(HERE / "diffs.py")], cwd=WORK, input=wanted, text=True,
        capture_output=True, check=True,
    )  # fmt: skip
    return {name: diff.split("\n", 2)[2] for name, diff in json.loads(done.stdout).items()}  # without the ---/+++


def fingerprint(diff: str) -> str:
    """The changed lines only, so the entry survives code moving around but not a change of the mutant."""
    changed = [line[1:].strip() for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return hashlib.sha256("\n".join(changed).encode()).hexdigest()[:12]


def results() -> dict[str, dict[str, int | None]]:
    """Exit code per mutant, per module, from mutmut's .meta files."""
    found = {}
    for module in MODULES:
        meta = WORK / "mutants" / "src" / (module + ".meta")
        found[module] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return found


def report(by_module: dict[str, dict[str, int | None]]) -> int:
    equivalents, survivors, used = load_equivalents(), [], set()
    undetected = {
        m: [n for n, code in codes.items() if code != KILLED and code not in TIMEOUTS] for m, codes in by_module.items()
    }
    diffs = diffs_of(undetected)
    print(f"\n{'module':<40} {'mutants':>7} {'killed':>6} {'timeout':>7} {'equiv':>5} {'survived':>8} {'score':>7}")
    for module, codes in by_module.items():
        counts = Counter(
            "killed" if code == KILLED else "timeout" if code in TIMEOUTS else "" for code in codes.values()
        )
        for name in sorted(undetected[module]):
            key = (name.partition("__mutmut_")[0], fingerprint(diffs[name]))
            if key in equivalents:
                counts["equivalent"] += 1
                used.add(key)
                continue
            counts["survived"] += 1
            status = "no test reaches it" if codes[name] == NO_TESTS else f"survived (exit {codes[name]})"
            survivors.append(f"{name}  [{status}; to list it as equivalent: {key[0]} {key[1]} <why>]\n{diffs[name]}")
        total = len(codes) - counts["equivalent"]
        score = f"{100 * (counts['killed'] + counts['timeout']) / total:.1f}%" if total else "n/a"
        print(
            f"{module:<40} {len(codes):>7} {counts['killed']:>6} {counts['timeout']:>7} {counts['equivalent']:>5} "
            f"{counts['survived']:>8} {score:>7}"
        )
    for function, print_ in sorted(set(equivalents) - used):
        print(f"\nnote: equivalent.txt lists {function} {print_}, which no surviving mutant matches any more")
    if survivors:
        print(f"\n{len(survivors)} surviving mutant(s):")
        for survivor in survivors:
            print(f"\n{survivor}")
    else:
        print("\nNo mutant survives (equivalent mutants: scripts/mutation/equivalent.txt).")
    return 1 if survivors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested in parallel (default 1)")
    parser.add_argument("--report-only", action="store_true", help="print the last run's results again")
    args = parser.parse_args()
    if not args.report_only:
        build_venv()
        stage()
        mutmut("run", "--max-children", str(args.max_children))
    return report(results())


if __name__ == "__main__":
    sys.exit(main())

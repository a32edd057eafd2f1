#!/usr/bin/env bash
# Mutation check of the core (issue 15, item 6): mutmut over the JWT verifier and the connector's money/time mapping
# (kopecks to roubles, Moscow time to UTC, versions from `updated`), run against their fast unit tests.
#
# mutmut 3 mutates a copy of the sources; it works on a scratch tree under .local/mutation so the workspace is never
# mutated in place, and PYTHONPATH puts the mutated copies ahead of the workspace's editable installs.
# Prints mutmut's per-mutant results and a score line; exits 0 (survivors are for reading, not a gate yet).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/.local/mutation
MUTMUT=(uv run --project "$ROOT" --with mutmut==3.8.1 mutmut)

rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/tests"
cp -r "$ROOT/libs/common/src/crm_common" "$ROOT/services/moysklad-connector/src/moysklad_connector" "$WORK/src/"
cp "$ROOT/libs/common/tests/security/test_jwt.py" "$WORK/tests/test_jwt.py"
cp "$ROOT/services/moysklad-connector/tests/mapping/test_common.py" "$WORK/tests/test_mapping_common.py"
cat > "$WORK/pyproject.toml" <<'TOML'
[project]
name = "mutation-scratch"
version = "0"

[tool.mutmut]
source_paths = ["src/crm_common/security/jwt.py", "src/moysklad_connector/mapping/common.py"]
pytest_add_cli_args_test_selection = ["tests/"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
TOML
cd "$WORK"
PYTHONPATH=src "${MUTMUT[@]}" run || true
PYTHONPATH=src "${MUTMUT[@]}" results --all true > results.txt 2>&1 || PYTHONPATH=src "${MUTMUT[@]}" results > results.txt 2>&1 || true
cat results.txt
killed=$(grep -c ": killed" results.txt || true)
survived=$(grep -c ": survived" results.txt || true)
echo "mutation score: $killed killed, $survived survived (details: $WORK/results.txt; 'mutmut show <name>' there)"

